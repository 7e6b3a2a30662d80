"""A "browser" for the OAuth tests (``BROWSER="python fake_browser.py %s"``): follows the authorization URL.

The mock authorization server approves at once and redirects to the proxy's loopback callback.
"""

import sys

import requests

if __name__ == "__main__":
    response = requests.get(sys.argv[1], timeout=30)
    sys.exit(0 if response.ok else 1)

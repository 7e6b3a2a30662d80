"""Print the text of a PDF (an example file of the pdf-processing skill)."""

import sys

if __name__ == "__main__":
    print(f"would extract the text of {sys.argv[1:]}")

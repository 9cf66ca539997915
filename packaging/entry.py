"""The frozen panel's entry point: PyInstaller runs this as ``Quickture``."""

import sys

from panel.app import main

if __name__ == "__main__":
    sys.exit(main())

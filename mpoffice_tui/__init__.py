"""mpoffice: offline-first, encrypted casework for UK MPs' constituency offices."""

__version__ = "0.1.0"

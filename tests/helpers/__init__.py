"""What many tests share: factories, fakes of outside services, builders of files and
requests. No test module imports another; they all import from here."""

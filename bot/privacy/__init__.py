"""Personal data: redaction of secrets, cards and IBANs, and the retention of transcripts."""

"""Problem management: problem records, known errors in the index, their ITSM sync."""

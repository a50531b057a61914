"""What several test modules share: builders, sample data, encoders, clients and small helpers.

Test modules import from here (and take fixtures from conftest.py), never from each other:
tests/test_test_hygiene.py fails when one does."""

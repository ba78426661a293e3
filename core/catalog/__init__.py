"""What the store holds, read and managed.

Datasets, runs, migrations, metrics, models and prices, users.
"""

"""Regenerate data/sample/ from the fixed seed: `python scripts/make_sample_data.py`."""

from evalkit.sample import write_sample_data

if __name__ == "__main__":
    for path in write_sample_data():
        print(path)

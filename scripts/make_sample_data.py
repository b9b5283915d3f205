"""Regenerate data/sample/ from the fixed seed: `python scripts/make_sample_data.py`."""

from evalkit.simulate.sample_data import write_sample_data

if __name__ == "__main__":
    for path in write_sample_data():
        print(path)

"""Partitioned generation on Dask: samples of 10^8 - 10^10 rows as Dask frames or Parquet datasets.

:func:`sample_dask` gives a lazy Dask frame whose partitions are runs of whole blocks of the
sampling engine; :func:`sample_to_parquet` writes a restartable Parquet dataset (one part per
partition, a manifest written last); :func:`read_dataset` and :func:`dataset_hash` read and
fingerprint it. Dask is optional: ``pip install 'synthkit[scale]'``.
"""

from ..strategies._engine import cast_to_meta, output_meta
from .parquet_output import ParquetResult, dataset_hash, frame_hash, read_dataset, sample_to_parquet
from .partitioned import partition_layout, sample_dask

__all__ = ["sample_dask", "sample_to_parquet", "ParquetResult", "dataset_hash", "frame_hash", "read_dataset",
           "output_meta", "cast_to_meta", "partition_layout"]

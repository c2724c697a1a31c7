"""One Spark session (local[2], small memory) for the whole pytest run: starting the JVM is the slow part."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
WEIGHTS = os.path.join(REPO, "shared", "model", "event-weights.json")


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    # Python workers must be this interpreter (the venv with numpy), not whatever `python3` is on PATH.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable

    s = (
        SparkSession.builder.master("local[2]")
        .appName("recsys-train-als-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.sql.adaptive.enabled", "true")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def weights_path():
    return WEIGHTS

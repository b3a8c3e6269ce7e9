"""End-to-end tests of the Python client against the real `lepton` binary on port 0.

Run by ctest (python_client_test) with LEPTON_BIN and LEPTON_SOURCE_DIR set; the server gets a
fresh home with the credit-scoring example ingested.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from lepton import DataLake, LeptonError, ModelBuilder  # noqa: E402

BIN = os.environ.get("LEPTON_BIN", "build/bin/lepton")
SRC = os.environ.get("LEPTON_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../../.."))
EXAMPLE = os.path.join(SRC, "examples", "credit-scoring")


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="lepton_pyclient_")
        cls.home = os.path.join(cls.dir, "home")
        subprocess.run([BIN, "lake", "ingest", os.path.join(EXAMPLE, "german_credit.csv"),
                        "--dataset", "credit/german_credit", "--home", cls.home],
                       check=True, capture_output=True)
        cls.server = subprocess.Popen([BIN, "server", "--home", cls.home, "--listen", "127.0.0.1:0"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = None
        for line in cls.server.stdout:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                url = m.group(1)
                break
        assert url, "the server did not start"
        cls.lake_config = os.path.join(cls.dir, "data_lake_config.json")
        with open(os.path.join(EXAMPLE, "data_lake_config.json")) as f:
            config = json.load(f)
        config.update({"home": cls.home, "server": url})
        with open(cls.lake_config, "w") as f:
            json.dump(config, f)
        os.environ["LEPTON_DATA_LAKE_CONFIG"] = cls.lake_config

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=30)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_get_data_keeps_the_seed_shape(self):
        df = DataLake(self.lake_config).get_data("customer_data")
        self.assertEqual(len(df), 1000)
        self.assertIn("class", list(df.columns))
        self.assertEqual(df.attrs["lepton"]["dataset"], "credit/german_credit")
        self.assertEqual(df.attrs["lepton"]["version"], 0)

    def test_aliases_apply_columns_and_where(self):
        df = DataLake(self.lake_config).get_data("older_applicants")
        self.assertEqual(list(df.columns), ["age", "credit_amount", "duration", "class"])
        self.assertGreater(len(df), 0)
        self.assertLess(len(df), 1000)
        self.assertTrue(all(a >= 60 for a in df["age"]))

    def test_build_and_train_on_the_frames_dataset(self):
        df = DataLake(self.lake_config).get_data("customer_data")
        seen = []
        model = ModelBuilder(os.path.join(EXAMPLE, "model_config.json"),
                             self.lake_config).build_and_train(df, progress=seen.append)
        self.assertTrue(model.run_id)
        self.assertGreater(model.metrics["auc"], 0.7)
        self.assertTrue(model.model_dir.startswith(self.home))
        self.assertTrue(os.path.exists(os.path.join(model.model_dir, "manifest.json")))

    def test_errors_are_clear(self):
        with self.assertRaisesRegex(LeptonError, 'no dataset "nope" in the data lake config'):
            DataLake(self.lake_config).get_data("nope")
        with self.assertRaisesRegex(LeptonError, r"HTTP 404"):
            DataLake(self.lake_config).get_data("credit/missing")
        bad = os.path.join(self.dir, "bad_model_config.json")
        with open(os.path.join(EXAMPLE, "model_config.json")) as f:
            config = json.load(f)
        config["split"]["test_fraction"] = 1.5
        with open(bad, "w") as f:
            json.dump(config, f)
        with self.assertRaisesRegex(LeptonError, r"split.test_fraction: expected a number in \(0, 1\).*HTTP 400"):
            ModelBuilder(bad, self.lake_config).build_and_train()
        with self.assertRaisesRegex(LeptonError, "no Lepton provenance"):
            ModelBuilder(bad, self.lake_config).build_and_train(object())
        with self.assertRaisesRegex(LeptonError, "model config .*No such file"):
            ModelBuilder(os.path.join(self.dir, "missing.json"))


if __name__ == "__main__":
    unittest.main()

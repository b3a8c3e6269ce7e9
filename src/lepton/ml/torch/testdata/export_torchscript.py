"""Exports small TorchScript models and PyTorch's own outputs for torchscript_test.cc.

Usage: /usr/bin/python3 export_torchscript.py OUT_DIR   (Debian's python3 with python3-torch)

Writes to OUT_DIR:
  input.csv            64 rows x 4 float32 features (printed with 9 significant digits, which
                       round-trips float32 exactly), no header
  <model>.pt           the TorchScript archive (`torch.jit.script` or `torch.jit.trace`, `.save`)
  <model>.csv          PyTorch's outputs on input.csv, one row per input row, as float64 with
                       17 significant digits
Models (fixed seeds, so the files are the same on every run):
  binary_prob   scripted Linear(4,8)-Tanh-Linear(8,1)-Sigmoid, briefly trained; output [N, 1]
  logit         traced Linear(4,1) with bias 2.5, squeezed to [N]; expected = sigmoid (float64)
  multiclass    scripted Linear(4,16)-ReLU-Linear(16,3)-Softmax(dim=1); output [N, 3]
  regression    scripted module returning 10 * Linear(4,1)(x).squeeze(1) + 3; output [N]
"""
import os
import sys

import torch
from torch import nn


class Regression(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 10.0 * self.lin(x).squeeze(1) + 3.0


def write_rows(path, rows, fmt):
    with open(path, "w") as f:
        for row in rows:
            f.write(",".join(fmt % v for v in row) + "\n")


def main():
    out_dir = sys.argv[1]
    torch.manual_seed(0)
    x = torch.randn(64, 4, dtype=torch.float32)
    write_rows(os.path.join(out_dir, "input.csv"), x.tolist(), "%.9g")

    binary = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
    # A few steps of training on a nonlinear target, so the weights are not just the init.
    target = ((x[:, 0] * x[:, 1] + x[:, 2]) > 0).float().unsqueeze(1)
    optimizer = torch.optim.Adam(binary.parameters(), lr=0.05)
    for _ in range(50):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy(binary(x), target)
        loss.backward()
        optimizer.step()
    binary.eval()

    logit = nn.Linear(4, 1)
    with torch.no_grad():
        logit.bias.fill_(2.5)  # keeps the dummy-batch outputs outside [0, 1]

    class Squeezed(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, v):
            return self.inner(v).squeeze(1)

    multiclass = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1))
    regression = Regression()

    models = {
        "binary_prob": torch.jit.script(binary),
        "logit": torch.jit.trace(Squeezed(logit).eval(), x),
        "multiclass": torch.jit.script(multiclass.eval()),
        "regression": torch.jit.script(regression.eval()),
    }
    with torch.no_grad():
        for name, module in models.items():
            module.save(os.path.join(out_dir, name + ".pt"))
            y = module(x).double()
            if name == "logit":
                y = torch.sigmoid(y)
            if y.dim() == 1:
                y = y.unsqueeze(1)
            write_rows(os.path.join(out_dir, name + ".csv"), y.tolist(), "%.17g")
    print("ok")


if __name__ == "__main__":
    main()

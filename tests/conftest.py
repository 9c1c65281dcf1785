import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

# torch is only the oracle here; its thread pool makes tiny ops slow on 2 cores.
torch.set_num_threads(1)

import os
import sys

# One BLAS thread for the suite: tests check numbers, not speed, and two spinning OpenBLAS
# threads on a busy 2-core machine can make small products 100× slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1, user_api="blas")  # in case NumPy was imported before this file

sys.path.insert(0, os.path.dirname(__file__))

# torch is only the oracle here; its thread pool makes tiny ops slow on 2 cores.
torch.set_num_threads(1)

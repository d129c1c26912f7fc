"""The oracles compute with tiny tensors, where PyTorch's intra-op thread pool only costs: on a busy
2-core machine each op of a second thread spun for milliseconds (F.pad of a 4x4 tensor: 7.6 ms with
2 threads, 1.3 µs with 1, measured at load 12). So the oracles run torch on one thread."""

try:
    import torch
except ImportError:  # the oracle modules skip themselves without torch
    torch = None

if torch is not None:
    torch.set_num_threads(1)

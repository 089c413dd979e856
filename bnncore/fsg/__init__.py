"""FSG: fast and slow gradient generation for binary networks (arXiv 2412.11777).

Two hypernetworks generate the gradient that replaces ``d sign / dW``: a fast-net (an MLP
on each weight's pre-quantized value, scaling the previous gradient) and a slow-net (a
minimal Mamba/S6 block reading each weight's recent gradients from the Historical Gradient
Storage, with a Layer Recognition Embedding in front). Both are trained by backpropagating
the task loss through the look-ahead weight ``Wm = W - eta * G``. Every backward here is
hand-written; see docs/fsg.md.

``FSGTrainer`` runs on the library's one training loop (``bnncore.train.Trainer``). The
selective scan lives in ``bnncore.fsg.scan``; its Numba kernels (``bnncore.kernels.scan``)
are imported on the first scan call.

Examples
--------
>>> import numpy as np
>>> from bnncore.fsg import HistoricalGradientStorage, selective_scan_reference
>>> hgs = HistoricalGradientStorage([3], length=2)
>>> hgs.push([np.ones(3)]); hgs.count
1
>>> one = np.ones((1, 2, 1))
>>> selective_scan_reference(one, one, -np.ones((1, 1)), one, one).shape
(1, 2, 1)
"""

from .conv1d import CausalConv1d
from .hgs import HistoricalGradientStorage
from .lookahead import J, combine, combine_backward, wpre, wq
from .mamba import MambaBlock
from .nets import ElementwiseMLP, SlowNet
from .scan import (
    selective_scan,
    selective_scan_backward,
    selective_scan_forward,
    selective_scan_reference,
)
from .trainer import FSGTrainer

__all__ = ["CausalConv1d", "ElementwiseMLP", "FSGTrainer", "HistoricalGradientStorage", "J",
           "MambaBlock", "SlowNet", "combine", "combine_backward", "selective_scan",
           "selective_scan_backward", "selective_scan_forward", "selective_scan_reference",
           "wpre", "wq"]

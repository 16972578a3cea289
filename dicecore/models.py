"""Every network the book trains, from one registry by name: :data:`NETWORKS` and :func:`network`.

Bertels et al.'s three models of increasing capacity (Chapter 2):

* :class:`LogisticRegression`: a 1×1(×1) convolution, i.e. logistic regression on the input features
  of each voxel.
* :class:`PaperUNet`: the No New-Net-derived U-Net of Bertels et al. §3.1 — three 3×3(×3) average-pooling
  steps with linear up-sampling, no normalisation, two 3×3(×3) convolutions (ReLU) per level before the
  pooling and after the up-sampling, filters [[10, 20], [20, 10]], [[20, 40], [40, 20]], [[40, 80],
  [80, 40]] and [40, 20] at the bottom. Our reading of "3x3(x3) average pooling": a 2× down-sampling
  average pool (kernel 2), which is what halves the resolution per level.
* :func:`~dicecore.models.paper_convnet`: "the ConvNet: remove the final two levels", i.e. the same network with one
  pooling level, whose bottom block is the removed level's encoder [20, 40].

Sudre et al.'s (2017) second 2-D network and its two 3-D networks (Chapter 3):

* :class:`TwoPathCNN`: Havaei et al.'s two-pathway tumour network as Sudre et al. §2 describe it — a local
  pathway (7² and 5² convolutions with maxout, max-pooling 4² and 2² at stride 1) beside a global pathway
  (a 13² convolution with maxout, max-pooling 2²), concatenated and classified per pixel by a 1 × 1
  convolution (the "final fully connected layer" applied fully convolutionally). Padded, so the output has
  the input's size.
* :class:`DeepMedicLike`: Kamnitsas et al.'s DeepMedic in its two-pathway form — eight valid 3³
  convolutions (PReLU) on the full-resolution centre of the patch beside the same on the patch
  average-pooled by 3, up-sampled back, concatenated, then two fully connected (1³) layers. An input patch
  of P voxels gives an output of P − 48 (Sudre et al.'s Table 1: 51 → 3, 63 → 15, 87 → 39).
* :func:`high_res_net`: MONAI's HighResNet (dilated residual blocks, resolution kept throughout).

The rest of the registry: two small two-level U-Nets of Bertels' design (:class:`PaperUNet`; Chapters 3–5
on a CPU), MONAI's DynUNet in the No New-Net form and in the anisotropic form for cardiac stacks (Chapter 4's
3-D grid), MONAI's plain U-Net and its U-Net on a ResNet-34 encoder (Hosseini's networks, Chapter 5).

Widths are parameters: the defaults are the published ones; the chapters' CPU profiles pass narrower ones
(each chapter's module says which).
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["NETWORKS", "network", "LogisticRegression", "PaperUNet", "paper_unet", "paper_convnet", "TwoPathCNN",
           "DeepMedicLike", "high_res_net", "dyn_unet"]


def _conv(dims: int):
    return nn.Conv2d if dims == 2 else nn.Conv3d


class LogisticRegression(nn.Module):
    """One logit per voxel from that voxel's input features (a 1×1(×1) convolution)."""

    def __init__(self, in_channels: int, dims: int = 3) -> None:
        super().__init__()
        self.linear = _conv(dims)(in_channels, 1, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class _Block(nn.Sequential):
    def __init__(self, dims: int, in_channels: int, filters: Sequence[int]) -> None:
        layers = []
        for f in filters:
            layers += [_conv(dims)(in_channels, f, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            in_channels = f
        super().__init__(*layers)


class PaperUNet(nn.Module):
    """A U-Net with average pooling, linear up-sampling and no normalisation (Bertels et al. §3.1).

    Args:
        in_channels: input modalities.
        dims: 2 or 3.
        levels: per level ``(encoder filters, decoder filters)``, top level first.
        bottom: filters of the bottom block.
        out_channels: 1 (a sigmoid map, Bertels et al.) or C (softmax logits, Chapter 5).
    """

    def __init__(self, in_channels: int, dims: int = 3,
                 levels: Sequence[tuple[Sequence[int], Sequence[int]]] = (([10, 20], [20, 10]), ([20, 40], [40, 20]),
                                                                          ([40, 80], [80, 40])),
                 bottom: Sequence[int] = (40, 20), out_channels: int = 1) -> None:
        super().__init__()
        if dims not in (2, 3):
            raise ValueError(f"dims: 2 or 3, got {dims}.")
        self.dims = dims
        self.encoders = nn.ModuleList()
        self.decoders = nn.ModuleList()
        c = in_channels
        skips = []
        for enc, _ in levels:
            self.encoders.append(_Block(dims, c, enc))
            c = enc[-1]
            skips.append(c)
        self.bottom = _Block(dims, c, bottom)
        c = bottom[-1]
        for (_, dec), skip in zip(reversed(levels), reversed(skips)):
            self.decoders.append(_Block(dims, c + skip, dec))
            c = dec[-1]
        self.head = _conv(dims)(c, out_channels, kernel_size=1)
        self.depth = len(levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        factor = 2**self.depth
        if any(s % factor for s in x.shape[2:]):
            raise ValueError(f"input: spatial size {tuple(x.shape[2:])} must be divisible by {factor} "
                             f"for {self.depth} pooling levels.")
        pool = F.avg_pool2d if self.dims == 2 else F.avg_pool3d
        mode = "bilinear" if self.dims == 2 else "trilinear"
        skips = []
        for enc in self.encoders:
            x = enc(x)
            skips.append(x)
            x = pool(x, 2)
        x = self.bottom(x)
        for dec, skip in zip(self.decoders, reversed(skips)):
            x = F.interpolate(x, size=skip.shape[2:], mode=mode, align_corners=False)
            x = dec(torch.cat([x, skip], dim=1))
        return self.head(x)


def paper_unet(in_channels: int, dims: int = 3) -> PaperUNet:
    """Bertels et al.'s U-Net (:class:`PaperUNet` with its three levels), 2-D or 3-D."""
    return PaperUNet(in_channels, dims)


def paper_convnet(in_channels: int, dims: int = 3) -> PaperUNet:
    """Bertels et al.'s ConvNet: the U-Net with its final two levels removed (one pooling level)."""
    return PaperUNet(in_channels, dims, levels=(([10, 20], [20, 10]),), bottom=(20, 40))


class _Maxout(nn.Module):
    """A convolution with ``pieces`` × ``features`` outputs, then the maximum over each group of ``pieces``."""

    def __init__(self, in_channels: int, features: int, kernel: int, pieces: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, features * pieces, kernel, padding=kernel // 2)
        self.pieces = pieces

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return y.unflatten(1, (-1, self.pieces)).amax(2)


def _same_max_pool(x: torch.Tensor, k: int) -> torch.Tensor:
    """Max-pooling of size ``k`` at stride 1 that keeps the spatial size (edges replicated)."""
    lo = (k - 1) // 2
    return F.max_pool2d(F.pad(x, (lo, k - 1 - lo, lo, k - 1 - lo), mode="replicate"), k, stride=1)


class TwoPathCNN(nn.Module):
    """Havaei et al.'s TwoPathCNN, fully convolutional (Sudre et al. 2017, §2 "2D networks").

    Args:
        in_channels: input modalities.
        local: features of the local pathway's two maxout convolutions (7² then 5²); Havaei et al. use 64.
        global_features: features of the global pathway's 13² maxout convolution; Havaei et al. use 160.
        pieces: maxout pieces per feature (Havaei et al.: 2 to 4).
        out_channels: logit maps out.
    """

    def __init__(self, in_channels: int, local: Sequence[int] = (64, 64), global_features: int = 160,
                 pieces: int = 2, out_channels: int = 1) -> None:
        super().__init__()
        if len(local) != 2 or min(local) < 1 or global_features < 1 or pieces < 1:
            raise ValueError(f"local, global_features, pieces: need two positive local widths and positive "
                             f"others, got {local}, {global_features}, {pieces}.")
        self.local1 = _Maxout(in_channels, local[0], 7, pieces)
        self.local2 = _Maxout(local[0], local[1], 5, pieces)
        self.global1 = _Maxout(in_channels, global_features, 13, pieces)
        self.head = nn.Conv2d(local[1] + global_features, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"input: expected (B, C, H, W), got shape {tuple(x.shape)}.")
        local = _same_max_pool(self.local2(_same_max_pool(self.local1(x), 4)), 2)
        glob = _same_max_pool(self.global1(x), 2)
        return self.head(torch.cat([local, glob], 1))


def _valid_stack(in_channels: int, widths: Sequence[int]) -> nn.Sequential:
    layers = []
    for w in widths:
        layers += [nn.Conv3d(in_channels, w, 3), nn.PReLU(w)]
        in_channels = w
    return nn.Sequential(*layers)


class DeepMedicLike(nn.Module):
    """DeepMedic's two pathways (Kamnitsas et al. 2017; Sudre et al. 2017, §2 "3D networks").

    Both pathways are eight valid 3³ convolutions with PReLU; the normal one sees the central
    ``P − 32`` voxels of a ``P``-voxel patch at full resolution, the low-resolution one the whole patch
    average-pooled by 3 (``P`` divisible by 3), its output up-sampled ×3 (nearest). Concatenated, they pass
    two fully connected (1³) layers and a 1³ classifier. Output size ``P − 48``.

    Args:
        in_channels: input modalities.
        widths: features of the eight convolutions of each pathway (DeepMedic: 30, 30, 40, 40, 40, 40, 50, 50).
        fully_connected: features of the two fully connected layers (DeepMedic: 150).
        out_channels: logit maps out.
    """

    shrink = 48

    def __init__(self, in_channels: int, widths: Sequence[int] = (30, 30, 40, 40, 40, 40, 50, 50),
                 fully_connected: int = 150, out_channels: int = 1) -> None:
        super().__init__()
        if len(widths) != 8:
            raise ValueError(f"widths: DeepMedic has eight convolutions per pathway, got {len(widths)}.")
        self.normal = _valid_stack(in_channels, widths)
        self.low = _valid_stack(in_channels, widths)
        self.fc = nn.Sequential(nn.Conv3d(2 * widths[-1], fully_connected, 1), nn.PReLU(fully_connected),
                                nn.Conv3d(fully_connected, fully_connected, 1), nn.PReLU(fully_connected),
                                nn.Conv3d(fully_connected, out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[2:]
        if x.ndim != 5 or any(s % 3 or s < 51 for s in size):
            raise ValueError(f"input: expected (B, C, P, P, P) with P ≥ 51 divisible by 3, got {tuple(x.shape)}.")
        centre = x[(...,) + tuple(slice(16, s - 16) for s in size)]
        low = F.interpolate(self.low(F.avg_pool3d(x, 3)), scale_factor=3, mode="nearest")
        return self.fc(torch.cat([self.normal(centre), low], 1))


def high_res_net(in_channels: int, widths: Sequence[int] = (16, 32, 64), out_channels: int = 1) -> nn.Module:
    """MONAI's HighResNet (Li et al. 2017) with the residual groups' widths ``widths`` (dilations 1, 2, 4;
    three blocks each); the defaults are MONAI's and the paper's. Resolution is kept throughout."""
    from monai.networks.nets import HighResNet

    if len(widths) != 3 or min(widths) < 1:
        raise ValueError(f"widths: three positive widths (one per dilation), got {widths}.")
    params = ({"name": "conv_0", "n_features": widths[0], "kernel_size": 3},
              *({"name": f"res_{k + 1}", "n_features": w, "kernels": (3, 3), "repeat": 3} for k, w in enumerate(widths)),
              {"name": "conv_1", "n_features": 80 * widths[2] // 64, "kernel_size": 1},
              {"name": "conv_2", "kernel_size": 1})
    return HighResNet(3, in_channels, out_channels, layer_params=params)


def dyn_unet(in_channels: int, out_channels: int, filters: Sequence[int], anisotropic: bool = False,
             output_bias: Optional[Sequence[float]] = None) -> nn.Module:
    """MONAI's 3-D DynUNet. Default: the No New-Net form (3³ kernels, stride-2 down-sampling, instance norm,
    leaky ReLU). ``anisotropic``: the form for stacks of thick slices (batch norm, PReLU, 3 × 3 × 1 kernels
    at full resolution and no pooling along z at the first step). ``filters``: one width per level.
    ``output_bias``: the output layer's bias at initialisation, one value per output map."""
    from monai.networks.nets import DynUNet

    levels = len(filters)
    if not anisotropic:
        kernels, strides = [3] * levels, [1] + [2] * (levels - 1)
        net = DynUNet(3, in_channels, out_channels, kernels, strides, strides[1:], filters=list(filters))
    else:
        kernels = [[3, 3, 1]] + [3] * (levels - 1)
        strides = [1, [2, 2, 1]] + [2] * (levels - 2)
        net = DynUNet(3, in_channels, out_channels, kernels, strides, strides[1:], filters=list(filters),
                      norm_name="batch", act_name="prelu")
    if output_bias is not None:
        if len(output_bias) != out_channels:
            raise ValueError(f"output_bias: one value per output map ({out_channels}), got {len(output_bias)}.")
        with torch.no_grad():
            net.output_block.conv.conv.bias.copy_(torch.tensor([float(b) for b in output_bias]))
    return net


def _registered(build, allowed: tuple = (2, 3), single_output: bool = False):
    """A registry entry: ``builder(in_channels, out_channels=1, dims=None, **options)`` that checks ``dims``
    (one of ``allowed``, the first by default) and, for a network with one output map, ``out_channels``."""
    def builder(in_channels: int, out_channels: int = 1, dims: Optional[int] = None, **options) -> nn.Module:
        d = allowed[0] if dims is None else dims
        if d not in allowed:
            raise ValueError(f"dims: this network is {' or '.join(f'{k}-D' for k in allowed)}, got dims={d}.")
        if single_output and out_channels != 1:
            raise ValueError(f"out_channels: this network has one output map, got {out_channels}.")
        return build(in_channels, out_channels, d, **options)
    return builder


def _small_unet(c: int, o: int, d: int) -> nn.Module:
    return PaperUNet(c, d, levels=(([8, 16], [16, 8]), ([16, 32], [32, 16])), bottom=(32, 16), out_channels=o)


def _slice_unet(c: int, o: int, d: int) -> nn.Module:
    return PaperUNet(c, d, levels=(([16, 16], [16, 16]), ([32, 32], [32, 32])), bottom=(64, 32), out_channels=o)


def _plain_unet(c: int, o: int, d: int) -> nn.Module:
    from monai.networks.nets import BasicUNet

    return BasicUNet(spatial_dims=d, in_channels=c, out_channels=o)


def _resnet34_unet(c: int, o: int, d: int) -> nn.Module:
    from monai.networks.nets import FlexibleUNet

    return FlexibleUNet(in_channels=c, out_channels=o, backbone="resnet34", pretrained=False, spatial_dims=d)


#: Every network the book trains, by name → ``builder(in_channels, out_channels=1, dims=…, **options)``:
#: Bertels et al.'s ``logistic-regression``, ``bertels-convnet`` and ``bertels-unet`` (2-D or 3-D, one
#: output); ``small-unet`` (:class:`PaperUNet`, two levels of 8–32 filters; Chapters 3 and 5) and
#: ``slice-unet`` (two levels of 16–64; Chapter 4's 2-D study); Sudre et al.'s ``two-path-cnn``,
#: ``deepmedic-like`` and ``highresnet``; ``dyn-unet`` (:func:`dyn_unet`; Chapter 4's 3-D grid); Hosseini et
#: al.'s ``plain-unet`` (MONAI's BasicUNet) and ``resnet34-unet`` (MONAI's FlexibleUNet, ResNet-34 encoder).
NETWORKS = {
    "logistic-regression": _registered(lambda c, o, d: LogisticRegression(c, d), single_output=True),
    "bertels-convnet": _registered(lambda c, o, d: paper_convnet(c, d), single_output=True),
    "bertels-unet": _registered(lambda c, o, d: paper_unet(c, d), single_output=True),
    "small-unet": _registered(_small_unet),
    "slice-unet": _registered(_slice_unet),
    "two-path-cnn": _registered(lambda c, o, d, **kw: TwoPathCNN(c, out_channels=o, **kw), allowed=(2,)),
    "deepmedic-like": _registered(lambda c, o, d, **kw: DeepMedicLike(c, out_channels=o, **kw), allowed=(3,)),
    "highresnet": _registered(lambda c, o, d, **kw: high_res_net(c, out_channels=o, **kw), allowed=(3,)),
    "dyn-unet": _registered(lambda c, o, d, **kw: dyn_unet(c, o, **kw), allowed=(3,)),
    "plain-unet": _registered(_plain_unet, allowed=(2,)),
    "resnet34-unet": _registered(_resnet34_unet, allowed=(2,)),
}


def network(name: str, in_channels: int, out_channels: int = 1, dims: Optional[int] = None, **options) -> nn.Module:
    """The network ``name`` of :data:`NETWORKS` for ``in_channels`` inputs and ``out_channels`` output maps,
    ``dims``-D (2 or 3 where the network has both forms; default: its first); ``options`` go to its builder
    (widths, …)."""
    if name not in NETWORKS:
        raise ValueError(f"name: unknown network {name!r}; choose one of {sorted(NETWORKS)}.")
    return NETWORKS[name](in_channels, out_channels, dims, **options)

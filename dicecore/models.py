"""Networks of the chapters. Bertels et al.'s three models of increasing capacity (Chapter 2).

* :class:`LogisticRegression`: a 1×1(×1) convolution, i.e. logistic regression on the input features
  of each voxel.
* :class:`PaperUNet`: the No New-Net-derived U-Net of Bertels et al. §3.1 — three 3×3(×3) average-pooling
  steps with linear up-sampling, no normalisation, two 3×3(×3) convolutions (ReLU) per level before the
  pooling and after the up-sampling, filters [[10, 20], [20, 10]], [[20, 40], [40, 20]], [[40, 80],
  [80, 40]] and [40, 20] at the bottom. Our reading of "3x3(x3) average pooling": a 2× down-sampling
  average pool (kernel 2), which is what halves the resolution per level.
* :func:`paper_convnet`: "the ConvNet: remove the final two levels", i.e. the same network with one
  pooling level, whose bottom block is the removed level's encoder [20, 40].
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["LogisticRegression", "PaperUNet", "paper_unet", "paper_convnet", "build_model", "MODELS"]


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
    return PaperUNet(in_channels, dims)


def paper_convnet(in_channels: int, dims: int = 3) -> PaperUNet:
    return PaperUNet(in_channels, dims, levels=(([10, 20], [20, 10]),), bottom=(20, 40))


MODELS = {"LR": LogisticRegression, "ConvNet": paper_convnet, "U-Net": paper_unet}


def build_model(name: str, in_channels: int, dims: int) -> nn.Module:
    """``"LR"``, ``"ConvNet"`` or ``"U-Net"`` (Bertels et al.'s three models)."""
    if name not in MODELS:
        raise ValueError(f"name: unknown model {name!r}; choose one of {sorted(MODELS)}.")
    return MODELS[name](in_channels, dims)

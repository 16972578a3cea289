"""dicecore.models: the papers' architectures (the training loop: test_train.py)."""

import pytest
import torch

from dicecore.models import PaperUNet, build_model, paper_convnet, paper_unet


@pytest.mark.parametrize("dims,shape", [(2, (2, 1, 16, 16)), (3, (1, 2, 8, 8, 8))])
@pytest.mark.parametrize("name", ["LR", "ConvNet", "U-Net"])
def test_models_map_images_to_one_logit_per_voxel(name, dims, shape):
    model = build_model(name, shape[1], dims)
    assert model(torch.randn(*shape)).shape == (shape[0], 1, *shape[2:])


def test_paper_unet_filters_and_no_normalisation():
    def filters(block):
        return [m.out_channels for m in block.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Conv3d))]

    net = paper_unet(4, dims=3)
    assert [filters(e) for e in net.encoders] == [[10, 20], [20, 40], [40, 80]]
    assert filters(net.bottom) == [40, 20]
    assert [filters(d) for d in net.decoders] == [[80, 40], [40, 20], [20, 10]]
    assert not any(isinstance(m, (torch.nn.BatchNorm3d, torch.nn.InstanceNorm3d)) for m in net.modules())
    conv = paper_convnet(1, 2)
    assert [filters(e) for e in conv.encoders] == [[10, 20]] and filters(conv.bottom) == [20, 40]


def test_model_errors():
    with pytest.raises(ValueError, match="name"):
        build_model("ResNet", 1, 2)
    with pytest.raises(ValueError, match="dims"):
        PaperUNet(1, dims=1)
    with pytest.raises(ValueError, match="divisible by 8"):
        paper_unet(1, 2)(torch.randn(1, 1, 12, 12))


def test_two_path_cnn_keeps_the_size_and_uses_maxout():
    from dicecore.models import TwoPathCNN

    net = TwoPathCNN(4, local=(6, 5), global_features=7, pieces=3)
    assert net(torch.randn(2, 4, 19, 23)).shape == (2, 1, 19, 23)
    assert net.local1.conv.out_channels == 18 and net.global1.conv.kernel_size == (13, 13)
    assert net.head.in_channels == 5 + 7
    with pytest.raises(ValueError, match="input: expected \\(B, C, H, W\\)"):
        net(torch.randn(1, 4, 8, 8, 8))
    with pytest.raises(ValueError, match="local, global_features, pieces"):
        TwoPathCNN(4, local=(6,))


@pytest.mark.parametrize("size, out", [(51, 3), (63, 15), (87, 39)])
def test_deep_medic_predicts_the_centre_of_its_patch(size, out):
    """Sudre et al.'s Table 1: initial 51, 63, 87 → effective 3, 15, 39."""
    from dicecore.models import DeepMedicLike

    net = DeepMedicLike(2, widths=(2,) * 8, fully_connected=3)
    assert net(torch.randn(1, 2, size, size, size)).shape == (1, 1, out, out, out)


def test_deep_medic_and_high_res_net_errors():
    from dicecore.models import DeepMedicLike, high_res_net

    net = DeepMedicLike(1, widths=(2,) * 8, fully_connected=3)
    with pytest.raises(ValueError, match="input: expected \\(B, C, P, P, P\\) with P ≥ 51 divisible by 3"):
        net(torch.randn(1, 1, 52, 51, 51))
    with pytest.raises(ValueError, match="widths: DeepMedic has eight convolutions"):
        DeepMedicLike(1, widths=(2, 2))
    with pytest.raises(ValueError, match="widths: three positive widths"):
        high_res_net(1, widths=(4, 8))
    assert high_res_net(3, widths=(2, 2, 4))(torch.randn(1, 3, 9, 9, 9)).shape == (1, 1, 9, 9, 9)

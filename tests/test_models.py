"""dicecore.models: the registry and the papers' architectures (the training loop: test_train.py)."""

import pytest
import torch

from dicecore.models import NETWORKS, PaperUNet, network, paper_convnet, paper_unet


@pytest.mark.parametrize("dims,shape", [(2, (2, 1, 16, 16)), (3, (1, 2, 8, 8, 8))])
@pytest.mark.parametrize("name", ["logistic-regression", "bertels-convnet", "bertels-unet"])
def test_bertels_models_map_images_to_one_logit_per_voxel(name, dims, shape):
    model = network(name, shape[1], dims=dims)
    assert model(torch.randn(*shape)).shape == (shape[0], 1, *shape[2:])


# name → (options, input shape, output maps): every network of the registry at a small size
REGISTRY_CASES = {
    "logistic-regression": ({"dims": 2}, (1, 2, 16, 16), 1),
    "bertels-convnet": ({"dims": 3}, (1, 1, 8, 8, 8), 1),
    "bertels-unet": ({"dims": 2}, (1, 1, 16, 16), 1),
    "small-unet": ({}, (2, 3, 32, 32), 4),
    "slice-unet": ({}, (1, 4, 32, 32), 1),
    "two-path-cnn": ({"local": (4, 4), "global_features": 4}, (1, 4, 24, 24), 1),
    "deepmedic-like": ({"widths": (2,) * 8, "fully_connected": 4}, (1, 1, 51, 51, 51), 1),
    "highresnet": ({"widths": (2, 2, 4)}, (1, 2, 12, 12, 12), 1),
    "dyn-unet": ({"filters": (2, 4, 8), "anisotropic": True, "output_bias": (3, 0, 0, 0)}, (2, 1, 16, 16, 8), 4),
    "plain-unet": ({}, (1, 3, 32, 32), 2),
    "resnet34-unet": ({}, (1, 3, 64, 64), 2),
}


def test_every_network_of_the_registry_is_tested():
    assert sorted(REGISTRY_CASES) == sorted(NETWORKS)


@pytest.mark.parametrize("name", sorted(REGISTRY_CASES))
def test_the_registry_builds_each_network_by_name(name):
    options, shape, out = REGISTRY_CASES[name]
    torch.manual_seed(0)
    net = network(name, shape[1], out, **options)
    with torch.no_grad():
        y = net.eval()(torch.randn(*shape))
    spatial = tuple(s - 48 for s in shape[2:]) if name == "deepmedic-like" else shape[2:]  # valid convolutions
    assert y.shape == (shape[0], out, *spatial)
    torch.manual_seed(0)
    again = network(name, shape[1], out, **options)  # the same seed, the same weights
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values()))


def test_the_output_bias_sets_the_starting_prior():
    net = network("dyn-unet", 1, 4, filters=(2, 4, 8), anisotropic=True, output_bias=(3, 0, 0, 0))
    with torch.no_grad():
        p = torch.softmax(net.eval()(torch.zeros(1, 1, 16, 16, 8)), 1)
    assert p[:, 0].mean() > 0.8  # background everywhere at the start (Chapter 4's ACDC networks)
    with pytest.raises(ValueError, match="output_bias: one value per output map"):
        network("dyn-unet", 1, 4, filters=(2, 4, 8), output_bias=(3, 0))


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
    with pytest.raises(ValueError, match="name: unknown network 'ResNet'; choose one of"):
        network("ResNet", 1)
    with pytest.raises(ValueError, match="out_channels: this network has one output map"):
        network("bertels-unet", 1, 2)
    with pytest.raises(ValueError, match="dims: this network is 2-D"):
        network("plain-unet", 1, 2, dims=3)
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

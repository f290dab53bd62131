"""Builds torchvision's resnet50 and vit_b_16 with random weights, saves their weights as
safetensors, and saves their features and logits on fixed inputs, for the C++ cross-check
(tst_crosscheck). Usage: make_torchvision_reference.py OUT_DIR
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import safetensors_writer  # noqa: E402


def calibrate_batchnorm(model, inputs):
    """Random BN affine parameters, then running statistics from one batch, so activations stay
    O(1) through 50 layers and the 1e-4 absolute tolerance is meaningful."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(m.weight, 0.5, 1.5)
            torch.nn.init.normal_(m.bias, 0.0, 0.1)
            m.momentum = 1.0
    model.train()
    with torch.no_grad():
        model(inputs)
    model.eval()


def resnet_features(m, x):
    x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
    x = m.layer4(m.layer3(m.layer2(m.layer1(x))))
    return torch.flatten(m.avgpool(x), 1)


def vit_features(m, x):
    x = m._process_input(x)
    x = torch.cat([m.class_token.expand(x.shape[0], -1, -1), x], dim=1)
    return m.encoder(x)[:, 0]


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    inputs = torch.randn(2, 3, 224, 224)

    resnet = torchvision.models.resnet50(weights=None)
    calibrate_batchnorm(resnet, torch.randn(8, 3, 224, 224))
    vit = torchvision.models.vit_b_16(weights=None)
    torch.nn.init.normal_(vit.heads.head.weight, 0.0, 0.02)  # torchvision zero-inits the head
    torch.nn.init.normal_(vit.heads.head.bias, 0.0, 0.02)
    vit.eval()

    for name, model, features in (("resnet50", resnet, resnet_features), ("vit_b_16", vit, vit_features)):
        with torch.no_grad():
            f = features(model, inputs)
            logits = model(inputs)
        safetensors_writer.save(os.path.join(out, name + ".safetensors"), model.state_dict())
        safetensors_writer.save(os.path.join(out, name + ".io.safetensors"),
                                {"input": inputs, "features": f, "logits": logits})
        print(f"{name}: features |max| {f.abs().max():.3f}, logits |max| {logits.abs().max():.3f}")


if __name__ == "__main__":
    main(sys.argv[1])

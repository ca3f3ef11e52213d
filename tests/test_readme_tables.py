from __future__ import annotations

import modelindex
from tests.conftest import SEED_README_TABLE, line_of

OLD_STYLE = r"""# ResNet

## Results and models

|   Model         | resolution  | Params(M) |  Flops(G) | Download |
|:---------------:|:-----------:|:---------:|:---------:|:--------:|
| ResNet-50-mill  |   224x224   |   86.74   |   15.14   | [model](https://x.org/mill.pth)|

### Cifar10

|  Model  | Params(M) | Flops(G) | Top-1 (%) | Config | Download |
|:-------:|:---------:|:--------:|:---------:|:------:|:--------:|
| ResNet-18 | 11.17 | - | 94.82 | [config](https://x.org/configs/resnet18_8xb16_cifar10.py) | [model](https://x.org/r18.pth) &#124; [log](https://x.org/r18.log.json) |
| Wide-ResNet-50\* | 68.88 | 11.44 | abc | [config](wide-resnet50_8xb32_in1k.py) | [model](https://x.org/w50.pth) |

```
| Model | Params(M) |
|---|---|
| in_a_fence | 1.0 |
```
"""


def test_seed_table_rows_become_models() -> None:
    zoo = modelindex.load(SEED_README_TABLE)
    assert zoo.problems == []
    model = zoo["resnet18_8xb16_cifar10"]
    assert model.metadata.parameters == 11170000
    assert model.metadata.flops == 560000000
    [result] = model.results
    assert (result.task, result.dataset) == ("Image Classification", "CIFAR-10")
    assert result.metrics == {"Top 1 Accuracy": 94.82}
    assert model.weights == (
        "https://download.openmmlab.com/mmclassification/v0/resnet/"
        "resnet18_b16x8_cifar10_20210528-bd6371c8.pth"
    )
    assert model.config == "resnet18_8xb16_cifar10.py"
    assert model.in_collection == "ResNet"
    assert model.source.line == line_of(SEED_README_TABLE, "| `resnet18_8xb16_cifar10`")
    assert model.rounding["Parameters"] == 5000
    assert model.metadata.extra["Pretrain"] == "From scratch"


def test_seed_table_has_every_row_and_one_collection() -> None:
    zoo = modelindex.load(SEED_README_TABLE)
    assert len(zoo) == 22
    assert [c.name for c in zoo.collections] == ["ResNet"]
    assert zoo["resnet34_8xb32_in1k"].metadata.parameters == 2180000
    cub = zoo["resnet50_8xb8_cub"]
    assert cub.results[0].dataset == "CUB-200-2011"
    assert "Top 5 Accuracy" not in cub.results[0].metrics


def test_table_variants(write) -> None:
    zoo = modelindex.load(write("README.md", OLD_STYLE))
    assert sorted(zoo.names) == [
        "ResNet-50-mill",
        "resnet18_8xb16_cifar10",
        "wide-resnet50_8xb32_in1k",
    ]
    mill = zoo["ResNet-50-mill"]
    assert mill.metadata.image_size == 224
    assert mill.metadata.parameters == 86740000
    assert mill.results == []
    assert mill.weights == "https://x.org/mill.pth"
    resnet18 = zoo["resnet18_8xb16_cifar10"]
    assert resnet18.metadata.flops is None
    assert resnet18.results[0].dataset == "Cifar10"
    assert resnet18.results[0].task is None
    assert resnet18.weights == "https://x.org/r18.pth"
    wide = zoo["wide-resnet50_8xb32_in1k"]
    assert wide.metadata.flops == 11440000000
    [invalid] = wide.invalid
    assert (invalid.field, invalid.value) == ("Results[0].Top 1 Accuracy", "abc")
    assert "in_a_fence" not in zoo

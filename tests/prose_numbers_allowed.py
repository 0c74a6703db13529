"""Numbers that a chapter's prose may quote without a cell that prints them.

Only two kinds belong here: the lecture's own figures, quoted as the lecture's (so that the
reader can compare them with the chapter's measured ones), and facts that no cell computes
(a paper's year, an accuracy published for a pretrained network, a definition). Every entry
says why; ``tests/test_prose_numbers.py`` fails on an entry that the chapter no longer
contains. Chapter → number as written → reason.
"""

ALLOWED: dict[str, dict[str, str]] = {
    "03_convnets": {
        "97.8%": "the lecture's accuracy for its dense network, quoted beside ours",
        "50": "ResNet50's depth, its authors' count of weight layers along the main path",
    },
    "04_data_augmentation": {
        "75%": "the lecture's validation accuracy from scratch, quoted beside ours",
    },
    "05_interpretation": {
        "2018": "the year of Adebayo et al., 'Sanity Checks for Saliency Maps' (NeurIPS)",
        "255": "the range of 8-bit pixel values, [0, 255]: a definition",
    },
    "06_transfer_learning": {
        # Published facts.
        "1.2": "ImageNet's training set, 1.2 million photos (Russakovsky et al., 2015)",
        "2019": "the year of Tan & Le's EfficientNet paper",
        "75.1%": "EfficientNet-Lite0's published ImageNet top-1 accuracy",
        "71.3%": "VGG16's ImageNet top-1 accuracy as listed by keras.applications",
        "255": "the range of 8-bit pixel values, [0, 255]: a definition",
        # The lecture's settings and results, quoted beside ours.
        "30": "the lecture's epochs for feature extraction and for way 2",
        "100": "the lecture's epochs for fine-tuning",
        "20": "the lecture's batch size",
        "2000": "the lecture's epoch: 100 steps of 20 photos",
        "40": "the lecture's rotation range, 40 degrees",
        "0.5": "the lecture's dropout rate",
        "8192": "the lecture's number of features, 4·4·512, worked out in the sentence",
        "90%": "the lecture's validation accuracy with VGG16 for ways 1 and 2",
        "90": "the lecture's 90–95% with VGG16",
        "95%": "the lecture's 90–95% with VGG16",
        "0.8": "the lecture's smoothing factor for its running average",
        "0.2": "the lecture's smoothing factor, 1 - 0.8",
    },
}

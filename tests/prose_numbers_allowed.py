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
        "16": "bfloat16 is a 16-bit format: a definition",
    },
    "05_interpretation": {
        "2018": "the year of Adebayo et al., 'Sanity Checks for Saliency Maps' (NeurIPS)",
        "255": "the range of 8-bit pixel values, [0, 255]: a definition",
    },
}

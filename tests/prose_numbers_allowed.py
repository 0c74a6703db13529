"""Numbers that a chapter's prose may quote without a cell that prints them.

Only two kinds belong here: the lecture's own figures, quoted as the lecture's (so that the
reader can compare them with the chapter's measured ones), and published facts that no cell
can compute (accuracies published for pretrained networks, a network's depth by its authors'
count). Every entry says why; ``tests/test_prose_numbers.py`` fails on an entry that the
chapter no longer contains. Chapter → number as written → reason.
"""

ALLOWED: dict[str, dict[str, str]] = {
    "03_convnets": {
        "97.8%": "the lecture's accuracy for its dense network, quoted beside ours",
        "50": "ResNet50's depth, its authors' count of weight layers along the main path",
    },
}

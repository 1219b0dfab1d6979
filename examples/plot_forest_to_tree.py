"""
Compressing a random forest into a decision tree you can read
=============================================================

A random forest of 300 trees often predicts better than any single tree, but
nobody can read it: to see why it calls a tumour malignant, one would have to
follow 300 trees. A decision tree of depth 3 fits on a page, and a person who
knows the domain can check every rule in it. This example distils the forest
into such a tree: the student is a scikit-learn ``DecisionTreeClassifier``,
trained on the forest's probabilities (by soft-label expansion, see
:ref:`students`), and compared with the same tree trained on the labels alone.

The data is scikit-learn's breast cancer data set: 569 tumours, 30 features
measured on a digitised image of a fine-needle aspirate, and the diagnosis,
malignant or benign. The features are measured for every sample; the
diagnosis is the costly part. So the main setting here has **60 labeled
rows** and treats the other training rows as unlabeled: the forest is trained
on the 60 labels, and then labels the other rows for the tree
(``X_unlabeled``): no model in this setting sees more than 60 labels. A
second setting, with every training row labeled, shows what distillation gives
without extra rows.

Neither Keras nor TensorFlow is loaded to fit or use these students: the
teacher and the students are scikit-learn estimators.
"""

# %%
# Five random splits
# ------------------
# One split is not enough to compare two trees of depth 3 on 171 test rows: a
# single row is 0.6 points of accuracy. Each of five splits holds out 30% of
# the rows (171) for testing; of the 398 training rows, 60 keep their label
# (stratified) and 338 are passed without it. On each split:
#
# - the **forest** (300 trees) is fitted on the labeled rows;
# - the **tree on labels** is a depth-3 ``DecisionTreeClassifier`` fitted on
#   the same labeled rows;
# - the **distilled tree** is the same tree, trained by
#   :class:`~skdistill.DistilledClassifier` on the forest's probabilities
#   (``temperature=1``: a forest's vote shares are soft already) mixed with
#   the labels (``alpha=0.1``), on the labeled rows and the unlabeled ones.
#
# *Agreement* is the share of test rows on which a model predicts the
# forest's class.
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier

data = load_breast_cancer()
X, y = data.data, data.target
DEPTH = 3
N_LABELED = 60


def one_split(seed, n_labeled):
    """Fit the three models on one split; return them and their test scores."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    if n_labeled is None:  # every training row labeled
        X_few, y_few, X_unlabeled = X_train, y_train, None
    else:
        X_few, X_unlabeled, y_few, _ = train_test_split(
            X_train, y_train, train_size=n_labeled, stratify=y_train, random_state=seed
        )
        # The labels of X_unlabeled are thrown away: nothing below sees them.
    forest = RandomForestClassifier(n_estimators=300, random_state=seed)
    forest.fit(X_few, y_few)
    on_labels = DecisionTreeClassifier(max_depth=DEPTH, random_state=seed)
    on_labels.fit(X_few, y_few)
    distilled = DistilledClassifier(
        teacher=forest,
        student=DecisionTreeClassifier(max_depth=DEPTH),
        temperature=1.0,
        alpha=0.1,
        random_state=seed,  # passed on to the tree, which has none of its own
    )
    distilled.fit(X_few, y_few, X_unlabeled=X_unlabeled)
    models = {
        "forest": forest,
        "tree on labels": on_labels,
        "distilled tree": distilled,
    }
    forest_says = forest.predict(X_test)
    scores = {
        name: (
            model.score(X_test, y_test),
            np.mean(model.predict(X_test) == forest_says),
        )
        for name, model in models.items()
    }
    return models, scores


seeds = range(5)
settings = {
    f"{N_LABELED} labels + {398 - N_LABELED} unlabeled rows": N_LABELED,
    "all 398 training rows labeled": None,
}
runs = {
    setting: [one_split(seed, n_labeled) for seed in seeds]
    for setting, n_labeled in settings.items()
}

# %%
# Accuracy and agreement
# ----------------------
# Accuracy on the held-out rows, and agreement with the forest, as mean ±
# standard deviation over the five splits. ``gain`` is the distilled tree's
# accuracy minus that of the tree on labels, split by split, then on how many
# splits it was better / equal / worse.
import pandas as pd


def mean_sd(values):
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


rows = {}
for setting, results in runs.items():
    for name in ("forest", "tree on labels", "distilled tree"):
        accuracy = [scores[name][0] for _, scores in results]
        agreement = [scores[name][1] for _, scores in results]
        rows[(setting, name)] = {
            "accuracy": mean_sd(accuracy),
            "agreement": "" if name == "forest" else mean_sd(agreement),
        }
    gain = [
        scores["distilled tree"][0] - scores["tree on labels"][0]
        for _, scores in results
    ]
    better, worse = sum(g > 0 for g in gain), sum(g < 0 for g in gain)
    rows[(setting, "distilled tree")]["gain"] = (
        f"{np.mean(gain):+.3f} ± {np.std(gain):.3f}, "
        f"{better}/{len(gain) - better - worse}/{worse}"
    )
table = pd.DataFrame(rows).T.fillna("")
# One table per setting keeps the lines narrow enough for the page.
for setting in settings:
    print(f"{setting}:")
    print(table.loc[setting].to_string(), end="\n\n")

forest = runs[next(iter(settings))][0][0]["forest"]
n_nodes = sum(tree.tree_.node_count for tree in forest.estimators_)
print(f"the forest (60 labels, split 0) has {n_nodes:,} nodes in its 300 trees;")
print(f"a tree of depth {DEPTH} has at most {2 ** (DEPTH + 1) - 1}")

# %%
# The two trees
# -------------
# Both trees of the first split, 60-label setting. The fitted student is
# ``student_``, an ordinary ``DecisionTreeClassifier``, so scikit-learn's
# ``plot_tree`` draws it. In the distilled tree, ``value`` is soft: every row
# counts towards each class with its target probability, so the values of a
# node sum to the number of rows that reach it (labeled and unlabeled), and
# ``samples`` counts the entries of the expansion (a row appears once per class
# whose target probability is at least 0.001).
import matplotlib.pyplot as plt
from sklearn.tree import plot_tree

models = runs[next(iter(settings))][0][0]
fig, axes = plt.subplots(
    1, 2, figsize=(17, 6), width_ratios=[2, 3], layout="constrained"
)
for ax, (title, tree) in zip(
    axes,
    [
        ("Tree on the 60 labels", models["tree on labels"]),
        (
            "Tree distilled from the forest (60 labels + 338 unlabeled rows)",
            models["distilled tree"].student_,
        ),
    ],
    strict=True,
):
    plot_tree(
        tree,
        feature_names=data.feature_names,
        class_names=data.target_names,
        impurity=False,
        label="root",
        filled=True,
        rounded=True,
        precision=2,
        fontsize=8,
        ax=ax,
    )
    ax.set_title(title)
plt.show()

# %%
# The distilled tree's rules as text, as any scikit-learn tree gives them. The
# weights of a leaf are its soft class counts (malignant, benign).
from sklearn.tree import export_text

print(
    export_text(
        models["distilled tree"].student_,
        feature_names=list(data.feature_names),
        class_names=list(data.target_names),
        show_weights=True,
    )
)

# %%
# What the numbers say
# --------------------
# With 60 labels, the distilled tree is right more often than the tree on
# labels: 0.927 against 0.903 on average, better on four splits of five and
# equal on the fifth. It is as accurate as the forest it imitates (0.929),
# agrees with it on 96% of the test rows instead of 92.5%, and varies much
# less from split to split (a standard deviation of 0.005 against 0.022). The
# gain comes from the unlabeled rows: the forest labels 338 rows the other
# tree never sees, so the distilled tree chooses its thresholds on 398 rows
# rather than 60. The drawing shows the difference: the tree on labels spends
# a split on 5 rows, while every split of the distilled tree rests on tens to
# hundreds of rows. Some of its splits do not change the predicted class (the
# two leftmost leaves are both benign) but do change the probability: about 2%
# malignant in one leaf against 17% in the other, the forest's doubt carried
# into the tree.
#
# With every training row labeled, the gain is small and uncertain: 0.005 on
# average, better on two splits, equal on two and worse on one, about one
# test row in 171. The forest's probabilities on rows the tree already has
# labels for add little, and both trees stay about 3 points behind the forest,
# which a tree of depth 3 cannot represent. Distilling into a readable tree
# pays when the forest can label more rows than have labels; it does not make
# a depth-3 tree as good as 300 trees. ``student__max_depth`` and
# ``temperature`` can be tuned with ``GridSearchCV`` like any parameter (see
# :ref:`students`), at the cost of readability for deeper trees.

"""The README's example: distil a 512-unit MLP into a 16-unit Keras network."""

from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdistill import DistilledClassifier, MLPStudent

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
teacher = make_pipeline(
    StandardScaler(), MLPClassifier((512,), max_iter=500, random_state=0)
).fit(X_train, y_train)
student = DistilledClassifier(
    teacher=teacher,
    student=MLPStudent(hidden_units=(16,), standardize=True),
    random_state=0,
)
scratch = clone(student).set_params(alpha=1.0)
student.fit(X_train, y_train)
scratch.fit(X_train, y_train)
print(f"teacher (MLP, 512 units)  {teacher.score(X_test, y_test):.3f}")
print(f"student from scratch      {scratch.score(X_test, y_test):.3f}")
print(f"distilled student         {student.score(X_test, y_test):.3f}")

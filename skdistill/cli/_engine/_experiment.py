"""What one run is: an :class:`Experiment`, and the configurations it starts from.

Every setting has one default, in :data:`CONFIGURATIONS`: the digits run
(a strong teacher and an owner with few labels), the original notebook's
experiment (a Keras teacher and students on the same labels, on MNIST or
digits) and the user's table. The command line replaces what the user
gives; :meth:`Experiment.check` is the one check of every setting.
"""

from dataclasses import dataclass, replace

from .._errors import CommandError

#: The ways a student is trained, in the report's order: from scratch on the
#: labels, on the teacher's pseudo-labels, and distilled.
WAYS = ("scratch", "pseudo", "distilled")
WAY_LABELS = {
    "scratch": "from scratch",
    "pseudo": "on pseudo-labels",
    "distilled": "distilled",
}


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """The settings of one run of the main job.

    Attributes
    ----------
    configuration : {"transfer", "same-labels", "table"}
        Which configuration the settings started from (see
        :data:`CONFIGURATIONS`); the report's ``scenario``.
    teacher : str
        The teacher preset (see :func:`make_teacher`), or what the report
        calls a teacher given as a fitted model.
    students : tuple of str
        Student presets (see :func:`make_student`).
    alternatives : tuple of str
        scikit-learn models fitted on the labels alone (see
        :func:`make_alternative`).
    ways : tuple of str
        Among :data:`WAYS`, how every student is trained.
    grid : tuple of (float, float)
        ``skdistill sweep``'s (temperature, alpha) of each distilled
        student; empty for ``compare``, whose one is (temperature, alpha).
    seeds : tuple of int
        One draw of the rows, and one fit of every model, per seed.
    test_fraction : float or None
        Rows held out for testing, redrawn per seed; None: the data set's
        own test rows (MNIST's).
    teacher_fraction : float or None
        Fraction of the other rows a preset teacher is fitted on; 0 for a
        teacher given fitted; None: the teacher learns from the owner's
        labeled rows (the same labels as the students).
    n_labeled : int, "auto" or None
        The owner's labeled rows: "auto" for :data:`AUTO_LABELED` or half
        of the owner's rows if fewer; None for all of them.
    temperature, alpha : float
        The distilled students' settings (no temperature in regression).
    metric : {"accuracy", "roc_auc"}
        The main score of a classification run (R² in regression): the
        one retention, the intervals and the figures use.
    units : int
        Hidden units of the ``mlp`` student.
    widths : tuple of int
        Hidden units of the compression curve's ``mlp`` students, trained
        from scratch and distilled on the first seed's rows; empty for none.
    epochs, distill_epochs, teacher_epochs : int
        A Keras student's epochs from scratch (and on pseudo-labels), when
        distilled (None: ``epochs``, every student's), and a Keras
        teacher's. With ``early_stopping`` they are the most epochs.
    early_stopping : bool
        Whether a Keras student stops early as ``MLPClassifier`` does.
    validation_fraction : float or None
        Rows every Keras fit holds out for its learning curves (the same
        rows for every model of a seed); None for none.
    batch_size : int or "auto"
        A Keras model's rows per step ("auto": ``min(200, rows)``).
    latency_repeats : int
        Timed calls behind each latency on 1,000 rows (three times as many
        on 1 row).
    export : path or None
        Where to write each distilled student (its first seed's): its ONNX
        graph and ``export_student()``'s file.
    save_teacher : path or None
        Where to save a trained Keras teacher (the first seed's), to reuse
        with ``--teacher``.
    verbose : int
        Keras's verbosity while training.
    """

    configuration: str
    teacher: str
    students: tuple
    alternatives: tuple = ()
    ways: tuple = WAYS
    grid: tuple = ()
    seeds: tuple = (0, 1, 2)
    test_fraction: object = 0.25
    teacher_fraction: object = 0.5
    n_labeled: object = "auto"
    temperature: float = 1.0
    alpha: float = 0.1
    metric: str = "roc_auc"
    units: int = 32
    widths: tuple = ()
    epochs: int = 50
    distill_epochs: object = None
    teacher_epochs: int = 30
    early_stopping: bool = True
    validation_fraction: object = None
    batch_size: object = "auto"
    latency_repeats: int = 7
    export: object = None
    save_teacher: object = None
    verbose: int = 0

    @property
    def same_labels(self):
        """Whether the teacher learns from the owner's labeled rows."""
        return self.teacher_fraction is None

    def check(self):
        """Raise :class:`CommandError` naming the option of a bad setting.

        Returns
        -------
        self : Experiment
        """
        if len(self.seeds) < 1:
            raise CommandError("--seeds must be at least 1.")
        fraction = self.teacher_fraction
        if fraction is not None and not 0 <= fraction < 1:
            raise CommandError(f"--teacher-fraction must be in (0, 1), got {fraction}")
        if self.test_fraction is not None and not 0 < self.test_fraction < 1:
            raise CommandError(
                f"--test-fraction must be in (0, 1), got {self.test_fraction}"
            )
        if not self.students:
            raise CommandError("--students names no student.")
        if self.widths and "mlp" not in self.students:
            raise CommandError("--widths draws the mlp student's compression curve.")
        if not 0 <= self.alpha <= 1:
            raise CommandError(f"--alpha must be in [0, 1], got {self.alpha}")
        return self

    def distilled_settings(self):
        """The (temperature, alpha) of each distilled student, in order."""
        if self.grid:
            return tuple((t, a) for t, a in self.grid if a != 1.0)
        return ((self.temperature, self.alpha),) if "distilled" in self.ways else ()

    def student_epochs(self, way):
        """A Keras student's epochs when trained ``way``."""
        if way == "distilled" and self.distill_epochs is not None:
            return self.distill_epochs
        return self.epochs


#: The owner's labeled rows when ``--labeled`` is not given on a table (at
#: most half of the owner's rows).
AUTO_LABELED = 500

#: The engine's configurations: every setting's default, by scenario.
CONFIGURATIONS = {
    # A strong scikit-learn teacher, an owner with 100 labels and transfer
    # rows; a 32-unit Keras student and scikit-learn's SVC, scaled
    # LogisticRegression and the most frequent label on the same labels.
    "transfer": Experiment(
        configuration="transfer",
        teacher="svc",
        students=("mlp",),
        alternatives=("baseline", "svc", "linear"),
        ways=("scratch", "distilled"),
        seeds=(0, 1, 2, 3, 4),
        test_fraction=0.25,
        teacher_fraction=0.5,
        n_labeled=100,
        temperature=4.0,
        alpha=0.1,
        metric="accuracy",
        widths=(8, 16, 32, 64, 128, 256),
        epochs=60,
        early_stopping=False,
        batch_size=32,
    ),
    # The original notebook's experiment: a Keras teacher, the student from
    # scratch and the distilled student on the same labels, one seed, each
    # fit holding out the same 10% for its learning curves.
    "same-labels": Experiment(
        configuration="same-labels",
        teacher="notebook-cnn",
        students=("notebook-cnn",),
        # The floor a practitioner checks first: the class frequencies.
        alternatives=("baseline",),
        ways=("scratch", "distilled"),
        seeds=(0,),
        test_fraction=None,
        teacher_fraction=None,
        n_labeled=None,
        temperature=10.0,
        alpha=0.1,
        metric="accuracy",
        epochs=5,
        distill_epochs=3,
        teacher_epochs=5,
        early_stopping=False,
        validation_fraction=0.1,
        batch_size=32,
    ),
    # The user's table: a boosting teacher, small students three ways, and
    # scikit-learn's defaults on the same labels.
    "table": Experiment(
        configuration="table",
        teacher="hgb",
        students=("tree4", "tree8", "hgb-small", "linear"),
        alternatives=("baseline", "hgb", "linear", "mlp"),
        seeds=(0, 1, 2),
        temperature=1.0,
        alpha=0.1,
    ),
}

#: The same-labels configuration on digits: the ``mlp`` pair of models.
DIGITS_SAME_LABELS = dict(
    teacher="mlp",
    students=("mlp",),
    test_fraction=0.25,
    temperature=4.0,
    epochs=60,
    distill_epochs=30,
    teacher_epochs=30,
)


def configuration(scenario, dataset=None):
    """The :class:`Experiment` a run starts from, before the user's options."""
    experiment = CONFIGURATIONS[scenario]
    if scenario == "same-labels" and dataset == "digits":
        experiment = replace(experiment, **DIGITS_SAME_LABELS)
    return experiment

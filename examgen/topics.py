"""The course's lectures (topics) and their learning goals.

Goals are the *leaf* bullets of ``shared/course/learning-goals.md``: a bullet with
sub-bullets is a heading, and its sub-bullets carry its text as a prefix. Three
bullets are course logistics rather than goals and are left out: "This will come in
handy for Mandatory 1", "Theory exercises relevant for exam" (lecture 02) and
"Background (clustering, PCA) ... assumed known" (lecture 12). The two lecture-12
sections (SNE/t-SNE and autoencoders/VAE) form one topic.

Goal ids are ``"<lecture>.<n>"`` (e.g. ``"07.4"``) and are stable: new goals are
appended, never renumbered.
"""

from __future__ import annotations

from .errors import UnknownName
from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    id: str
    text: str


@dataclass(frozen=True)
class Topic:
    id: str
    lecture: int
    name: str
    aliases: tuple[str, ...]
    goals: tuple[Goal, ...]

    @property
    def number(self) -> str:
        return f"{self.lecture:02d}"

    def goal(self, goal_id: str) -> Goal:
        for g in self.goals:
            if g.id == goal_id:
                return g
        raise UnknownName(f"topic {self.id!r} has no learning goal {goal_id!r}")


def _topic(id: str, lecture: int, name: str, aliases: tuple[str, ...], goals: list[str]) -> Topic:
    return Topic(id, lecture, name, aliases,
                 tuple(Goal(f"{lecture:02d}.{i}", text) for i, text in enumerate(goals, start=1)))


_STRUCT = "Structure of a fully-connected classification network: "
_WHY = "Justification and derivation: "
_LEARN = "The learning problem: "
_SMALL = "Learning from small datasets: "
_MET = "Performance evaluation metrics: "

TOPICS: tuple[Topic, ...] = (
    _topic("linear", 2, "Linear models for regression and classification", ("lin", "linear-models"), [
        "Understand linear regression and the loss function",
        "Be able to compute by hand and implement the gradient descent updates",
        "Understand logistic regression and the loss function",
        "Be able to compute by hand and implement the logistic gradient descent updates",
        "Understand softmax classification",
        "Cross-entropy loss (derived in detail in lecture 03)",
        "Implement softmax and gradient descent for cross-entropy loss",
    ]),
    _topic("dense", 3, "Dense neural network classifiers", ("fc", "mlp", "dense-networks"), [
        _STRUCT + "activation in an arbitrary node at an arbitrary layer",
        _STRUCT + "sigmoid and ReLU activation functions",
        _STRUCT + "softmax function with multiple classes",
        _STRUCT + "cross-entropy loss function",
        _STRUCT + "stochastic gradient descent optimization method",
        _STRUCT + "backward propagation",
        _WHY + "cross-entropy loss function",
        _WHY + "stochastic gradient descent method",
        _WHY + "backward propagation equations (with cross-entropy loss and softmax)",
        "Efficient implementation: derivation of the vectorized equations",
    ]),
    _topic("pytorch", 4, "PyTorch", ("torch", "framework", "autograd"), [
        "Know what we mean with a deep learning framework",
        "PyTorch: automatic differentiation",
    ]),
    _topic("cnn", 5, "Convolutional neural networks", ("conv", "convolution"), [
        "Understand why we use CNN on image data",
        "Know what a convolutional layer is, and its hyperparameters",
        "Understand the difference between the theoretical and the effective receptive field",
        "Know how we can use dilated convolutions",
        "Know what a pooling layer is",
        "Understand why depthwise separable convolutions can be parameter efficient",
        "Know the difference between using a dense layer and a convolutional layer as the last layer",
    ]),
    _topic("training", 7, "Training and architectures", ("train", "optimization", "architectures"), [
        "Pros and cons of different activation functions",
        "How weights should be initialized and scaled given the activation function",
        "How batch norm works at training and test time",
        "How momentum SGD and ADAM work",
        "Know how to optimize the hyperparameters, including scale and sensitivity",
        "Know the most characteristic features of central architectures",
    ]),
    _topic("generalization", 8, "Generalization", ("generalisation", "regularization", "gen"), [
        _LEARN + "in-sample error",
        _LEARN + "out-of-sample error",
        _LEARN + "hypothesis set",
        _LEARN + "a hypothesis",
        _LEARN + "final hypothesis",
        _LEARN + "target hypothesis",
        "Model capacity/complexity: VC dimension",
        "The Vapnik-Chervonenkis inequality",
        _SMALL + "L2 regularization",
        _SMALL + "dropout",
        _SMALL + "data augmentation",
        _SMALL + "transfer learning",
        _SMALL + "multitask learning",
    ]),
    _topic("detection", 9, "Segmentation and object detection",
           ("segmentation", "object-detection", "metrics"), [
        _MET + "sensitivity",
        _MET + "specificity",
        _MET + "precision",
        _MET + "accuracy",
        _MET + "balanced accuracy",
        _MET + "Jaccard index",
        _MET + "mean average precision (familiarity)",
        "Object detection: label vector",
        "Object detection: multi-task loss function",
        "Object detection: network architectures (basic concepts)",
        "Image segmentation: spatial upsampling (unpooling) techniques",
        "Image segmentation: network architectures (basic concepts)",
        "Image segmentation: difference between semantic and instance segmentation",
    ]),
    _topic("visualization", 10, "Visualization and adversarial fooling",
           ("visualisation", "adversarial", "vis"), [
        "Understand the need to be able to visualize the network",
        "Understand the limitations of visualizing the filters directly",
        "Understand heatmaps like class activation maps and saliency maps, and know about "
        "layerwise relevance propagation",
        "Know the principles and goals of guided backprop",
        "Understand how adversarial images are created, what adversarial training is, and "
        "which models are susceptible to being fooled",
    ]),
    _topic("rnn", 11, "Recurrent neural networks", ("recurrent", "gru"), [
        "Know how to build a recurrent neural network",
        "Understand why recurrent neural networks are susceptible to exploding and vanishing gradients",
        "Know why we use backpropagation through time",
        "Gated Recurrent Unit (GRU)",
        "Multi-layer recurrent neural networks",
        "Bidirectional recurrent neural networks",
    ]),
    _topic("unsupervised", 12, "Unsupervised learning", ("sne", "tsne", "vae", "autoencoder"), [
        "SNE: motivation and idea",
        "SNE: high-dimensional neighbour probability distributions",
        "SNE: low-dimensional neighbour probability distributions",
        "SNE: probability distribution distance metric",
        "SNE: optimization of the distance metric",
        "SNE: benefits and drawbacks",
        "t-SNE: motivation and idea, in relation to SNE",
        "t-SNE: changes from SNE",
        "t-SNE: why it fixes some problems with SNE, and works better",
        "Autoencoders: the compression, denoising and sparse variants",
        "Variational autoencoders: purpose",
        "Variational autoencoders: the problems they try to solve, and how they solve them",
        "Variational autoencoders: structure and key elements",
        "Variational autoencoders: generating new images from the training distribution",
        "Variational autoencoders: interpolating between two existing images",
    ]),
    _topic("gan", 13, "Generative adversarial networks", ("gans", "generative"), [
        "General concept: purpose and structure of the generator network",
        "General concept: purpose and structure of the discriminator network",
        "General concept: training process",
        "General concept: advantages and challenges",
        "Cost functions, motivation and derivation: minimax GAN",
        "Cost functions, motivation and derivation: non-saturating GAN",
    ]),
    _topic("rl", 14, "Reinforcement learning", ("reinforcement", "reinforcement-learning"), [
        "The RL environment: states, actions, rewards, return",
        "Value based RL: state-value function and action-value function",
        "Value based RL: using the Bellman (expectation) equation to update a value function",
        "Value based RL: Q-learning",
        "Value based RL: exploration vs exploitation",
        "Value based RL: experience replay",
        "Policy based RL: policy gradients",
        "Policy based RL: why policy gradients suffer from high variance",
    ]),
    _topic("beyond", 15, "Not just AI/deep learning", ("significance", "ethics", "statistics"), [
        "Reflect upon the challenges of applying deep learning in an application",
        "The current limitations of deep learning, and gaining insight into the black box",
        "The need for evaluating the statistical significance of a deep learning application",
        "The need to get insight into when the system will fail",
        "The pitfalls of bias in the model and the data",
        "Reflect upon ethical challenges given an application",
        "As a developer you must follow GDPR and other national regulations",
    ]),
)

_BY_KEY: dict[str, Topic] = {}
for _t in TOPICS:
    for _key in {_t.id, _t.number, str(_t.lecture), *_t.aliases}:
        assert _key not in _BY_KEY, f"topic key {_key!r} used twice"
        _BY_KEY[_key] = _t


def topic(key: str | int) -> Topic:
    """The topic for a short name, alias or lecture number (``"rl"``, ``"14"``, ``14``)."""
    found = _BY_KEY.get(str(key).strip().lower())
    if found is None:
        names = ", ".join(f"{t.id} ({t.number})" for t in TOPICS)
        shown = repr(key) if len(repr(key)) <= 40 else repr(key)[:36] + "...'"
        raise UnknownName(f"unknown topic {shown}; topics are: {names}")
    return found


def find_goal(goal_id: str) -> tuple[Topic, Goal]:
    """The topic and goal for a goal id such as ``"07.4"``."""
    lecture = goal_id.split(".")[0]
    t = topic(lecture)
    return t, t.goal(goal_id)

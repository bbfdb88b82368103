"""Gradient estimators of KL(q‖p) for the DVAE## toy study (arXiv:1901.03440, Sec. 3.1, Fig. 2).

The target p is a 2-D Gaussian; q_φ is a 2-D Gaussian too, given by its mean and precision matrix. Like the
RBM posterior of DVAE##, q is sampled by Gibbs updates of its conditionals q(z1|z2), q(z2|z1) started from a
state that carries no gradient (an exact sample of q, or, as Algorithm 1's persistent chains, the chains'
state after the previous update of φ), and the gradient is backpropagated through the t unrolled,
reparameterised sweeps. Writing E_q[f] = E_{z0~q} E_{K^t(z|z0)}[f(z)] (q is stationary under the Gibbs kernel
K), the exact gradient has two parts:

    ∇φ E_q[f] = E[f(z_t) ∇φ log q_φ(z0)]  (term I: through the starting state)  +  E[∇φ f(z_t(φ, z0, ε))].

Dropping I (the DVAE## estimator) is biased for small t, as the chain does not forget z0; keeping it gives an
unbiased estimator with a score-function term. Both are compared with REINFORCE and the reparameterised
estimator. Parameters φ = [m1, m2, a, b, c]: mean m, precision P11 = e^a, P22 = e^b,
P12 = e^{(a+b)/2} tanh(c) (positive definite for every φ).

f(z) = log q_φ(z) − log p(z). Every estimator leaves out the term E_q[∂φ log q_φ(z)] = 0 (φ held fixed in
f), so all of them have zero variance at q = p.
"""
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions
DTYPE = tf.float64
TARGET_MEAN = (1.0, 1.0)
TARGET_PRECISION = ((1.1, 0.9), (0.9, 1.1))
INITIAL_PARAMETERS = (0.0, 0.0, 0.0, 0.0, 0.0)    # q = N(0, I)


def method_names(sweeps=(1, 2, 4, 8)):
    """Estimator names: reinforce, reparam, gibbs_t<t> (without I) and gibbs_t<t>_I (with I)."""
    return ["reinforce", "reparam"] + [f"gibbs_t{t}{suffix}" for t in sweeps for suffix in ("", "_I")]


def parse_method(name):
    """'gibbs_t4_I' -> ('gibbs', 4, True); 'reparam' -> ('reparam', 0, False)."""
    if name in ("reinforce", "reparam"):
        return name, 0, False
    if not name.startswith("gibbs_t"):
        raise ValueError(f"unknown estimator {name!r}; valid: reinforce, reparam, gibbs_t<t>, gibbs_t<t>_I")
    sweeps, _, with_i = name[len("gibbs_t"):].partition("_")
    if not sweeps.isdigit() or int(sweeps) < 1 or with_i not in ("", "I"):
        raise ValueError(f"unknown estimator {name!r}; valid: reinforce, reparam, gibbs_t<t>, gibbs_t<t>_I")
    return "gibbs", int(sweeps), with_i == "I"


def precision(params):
    """params [..., 5] -> (mean [..., 2], precision [..., 2, 2])."""
    mean, a, b, c = params[..., :2], params[..., 2], params[..., 3], params[..., 4]
    off_diagonal = tf.exp((a + b) / 2) * tf.tanh(c)
    return mean, tf.stack([tf.stack([tf.exp(a), off_diagonal], -1), tf.stack([off_diagonal, tf.exp(b)], -1)], -2)


def gaussian(mean, precision_matrix):
    """TFP multivariate normal(s) with the given mean [..., 2] and precision [..., 2, 2]."""
    covariance = tf.linalg.inv(precision_matrix)
    return tfd.MultivariateNormalTriL(loc=mean, scale_tril=tf.linalg.cholesky(covariance))


def target():
    """The toy target p = N(μ = [1, 1], Λ⁻¹)."""
    return gaussian(tf.constant(TARGET_MEAN, DTYPE), tf.constant(TARGET_PRECISION, DTYPE))


def q_distribution(params):
    return gaussian(*precision(params))


def exact_kl(params):
    """KL(q_φ ‖ p) in closed form (nats): params [..., 5] -> [...]."""
    return tfd.kl_divergence(q_distribution(params), target())


def gibbs_sweeps(z, params, num_sweeps, noise):
    """num_sweeps reparameterised Gibbs sweeps (z1 then z2) of q_φ.

    z: [n, ..., 2] states of n chains for each q of params [..., 5]; noise: [num_sweeps, 2, n, ...] standard
    normal. Returns the final states [n, ..., 2], differentiable w.r.t. params.
    """
    mean, lam = precision(params)
    m1, m2, p11, p12, p22 = mean[..., 0], mean[..., 1], lam[..., 0, 0], lam[..., 0, 1], lam[..., 1, 1]
    z1, z2 = z[..., 0], z[..., 1]
    for sweep in range(num_sweeps):
        z1 = m1 - p12 / p11 * (z2 - m2) + noise[sweep, 0] / tf.sqrt(p11)
        z2 = m2 - p12 / p22 * (z1 - m1) + noise[sweep, 1] / tf.sqrt(p22)
    return tf.stack([z1, z2], axis=-1)


def surrogate(params, method, num_samples, rng, start=None):
    """(surrogate losses [num_samples, ...], final states [num_samples, ..., 2]) for params [..., 5].

    The losses' gradients are the estimator's samples. Gibbs estimators start from `start` [num_samples, ..., 2]
    (persistent chains) or, if None, from an exact sample of q; the final states are where their chains end
    (the exact sample for reinforce and reparam).
    """
    kind, num_sweeps, with_i = parse_method(method)
    q = q_distribution(params)
    q_fixed = q_distribution(tf.stop_gradient(params))
    p = target()

    def f(z):   # log q(z) - log p(z) with φ held fixed
        return q_fixed.log_prob(z) - p.log_prob(z)

    batch = params.shape[:-1]
    exact_sample = q.bijector.forward(rng.normal([num_samples, *batch, 2], dtype=DTYPE))   # reparameterised
    if kind == "reparam":
        return f(exact_sample), tf.stop_gradient(exact_sample)
    if kind == "reinforce":
        drawn = tf.stop_gradient(exact_sample)
        return tf.stop_gradient(f(drawn)) * q.log_prob(drawn), drawn
    start = tf.stop_gradient(exact_sample if start is None else start)
    z = gibbs_sweeps(start, params, num_sweeps, rng.normal([num_sweeps, 2, num_samples, *batch], dtype=DTYPE))
    loss = f(z)
    if with_i:
        loss += tf.stop_gradient(f(z)) * q.log_prob(start)
    return loss, tf.stop_gradient(z)


def gradient_variance(params, method, num_samples, rng):
    """Total variance (trace of the covariance) of one-sample gradient estimates at params [5], from num_samples.

    The samples are drawn for num_samples copies of params, so one backward pass gives each its own gradient.
    """
    copies = tf.tile(tf.convert_to_tensor(params)[None], [num_samples, 1])
    with tf.GradientTape() as tape:
        tape.watch(copies)
        loss = tf.reduce_sum(surrogate(copies, method, 1, rng)[0])
    per_sample = tape.gradient(loss, copies)   # [num_samples, 5]
    return tf.reduce_sum(tf.math.reduce_variance(per_sample, axis=0))


def density_grid(distribution, lo=-3.0, hi=5.0, size=100):
    """(x [size], y [size], density [size, size]) of a 2-D distribution on a square grid."""
    axis = np.linspace(lo, hi, size)
    xx, yy = np.meshgrid(axis, axis)
    points = tf.constant(np.stack([xx, yy], axis=-1), DTYPE)
    return axis, axis, distribution.prob(points).numpy()

"""log Z of batched RBMs by annealed importance sampling (AIS) or annealed population annealing (PA).

Both anneal linearly, beta_k = k / (M - 1), from a factorised base RBM (W = 0, biases base_b1/base_b2)
to the target, with z2 marginalised in the weights and one block-Gibbs sweep per temperature.
"""
import typing

import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.samplers import gibbs, kernels, resampling

_PA_SUBPOPULATIONS = 16  # independent sub-populations whose spread gives the PA standard error


class AISResult(typing.NamedTuple):
    """Final chain states z1 [B, C, n1], z2 [B, C, n2]; log_z [B] and its stderr [B]; log_weights [B, C]."""
    z1: tf.Tensor
    z2: tf.Tensor
    log_z: tf.Tensor
    log_z_stderr: tf.Tensor
    log_weights: tf.Tensor


def _num_subpopulations(num_chains):
    """Largest divisor of num_chains that is <= _PA_SUBPOPULATIONS and leaves >= 2 chains per sub-population."""
    return max(g for g in range(1, _PA_SUBPOPULATIONS + 1) if num_chains % g == 0 and num_chains // g >= 2)


def _softplus_difference(a, t_a, b, t_b):
    """softplus(a) - softplus(b) elementwise given t_a = exp(-|a|), t_b = exp(-|b|).

    softplus(x) = relu(x) + log(1 + exp(-|x|)), so the difference is relu(a) - relu(b) + log((1 + t_a) / (1 + t_b)).
    """
    return tf.nn.relu(a) - tf.nn.relu(b) + tf.math.log((1.0 + t_a) / (1.0 + t_b))


@tf.function(jit_compile=True)
def _anneal(params, base_b1, base_b2, z1, num_temperatures, seed, num_subpopulations, resample):
    """Runs the schedule from base samples z1 [B, C, n1].

    Chains are split into G = num_subpopulations sub-populations of K; with `resample`, a
    sub-population is resampled systematically when its ESS fraction drops below 1/2, and
    log_ratio [B, G] = sum_k log(sum w_k / sum w_{k-1}) per sub-population is kept, the log of that
    sub-population's estimate of Z / Z_base (zeros without `resample`). Returns (z1, z2, log_w [B, G, K], log_ratio).

    Each temperature costs the two batched matmuls of a Gibbs sweep plus elementwise work; exp(-|b2 + beta z1 W|)
    serves both the free energy's softplus and the z2 draw's sigmoid, which tf.math.softplus and tf.sigmoid would
    compute twice, and one log replaces the two log1p of two softplus (XLA's log1p costs about twice its log on
    CPU).
    """
    batch, chains = tf.shape(z1)[0], z1.shape[1]
    beta_step = 1.0 / tf.cast(num_temperatures - 1, tf.float32)
    delta_b1 = beta_step * (params.b1 - base_b1)  # b1_k - b1_{k-1}, the same at every k
    make_kernel_fn = kernels.tempered_kernel_fn(params, base_b1, base_b2, seed_split=kernels.fold_seed)
    ones2 = tf.ones(tf.shape(params.b2)[-1:])

    def step(k, z1, results, log_w, log_ratio):
        seed_k = tf.random.experimental.stateless_fold_in(seed, k)
        kernel = make_kernel_fn(tf.cast(k, tf.float32) * beta_step)
        # The field z1 W in the results serves both free energies and the kernel's z2 draw.
        logits2 = kernel.logits_z2(results.field)
        logits2_prev = make_kernel_fn(tf.cast(k - 1, tf.float32) * beta_step).logits_z2(results.field)
        t2, t2_prev = tf.exp(-tf.abs(logits2)), tf.exp(-tf.abs(logits2_prev))
        # log p~_k(z1) - log p~_{k-1}(z1) = F_{k-1}(z1) - F_k(z1) = (b1_k - b1_{k-1}).z1 + sum_j softplus differences;
        # the sum over j as a product with ones, which XLA's CPU code runs faster than the fused reduction.
        increment = (tf.einsum('bcn,bn->bc', z1, delta_b1)
                     + tf.linalg.matvec(_softplus_difference(logits2, t2, logits2_prev, t2_prev), ones2))
        new_log_w = log_w + tf.reshape(increment, tf.shape(log_w))
        if resample:
            log_ratio += tf.reduce_logsumexp(new_log_w, -1) - tf.reduce_logsumexp(log_w, -1)
            (z1, field), new_log_w = _resample_low_ess(
                [z1, results.field], new_log_w, tf.random.experimental.stateless_fold_in(seed_k, 2))
            results = results._replace(field=field)
        z1, results = kernel.one_step(z1, results, seed_k)
        return k + 1, z1, results, new_log_w, log_ratio

    init_results = make_kernel_fn(tf.constant(0.0)).bootstrap_results(z1)
    _, z1, results, log_w, log_ratio = tf.while_loop(
        lambda k, *_: k < num_temperatures, step,
        (tf.constant(1), z1, init_results,
         tf.zeros([batch, num_subpopulations, chains // num_subpopulations]),
         tf.zeros([batch, num_subpopulations])))
    return z1, results.z2, log_w, log_ratio


def _resample_low_ess(states, log_w, seed):
    """Systematically resamples, within each sub-population, those of log_w [B, G, K] whose ESS < 1/2.

    states: tensors [B, G*K, n] moved with their chains; resampled sub-populations get uniform weights.
    Returns (states, log_w).
    """
    per_subpopulation = log_w.shape[-1]
    low = resampling.ess_fraction(log_w) < 0.5  # [B, G]

    def resample():
        flat_log_w = tf.reshape(log_w, [-1, per_subpopulation])
        index = resampling.systematic_indices(flat_log_w, tf.random.stateless_uniform(tf.shape(flat_log_w)[:1], seed))
        index = tf.where(tf.reshape(low, [-1, 1]), index, tf.range(per_subpopulation)[None, :])
        new_states = [tf.reshape(tf.gather(tf.reshape(s, [-1, per_subpopulation, s.shape[-1]]), index, batch_dims=1),
                                 tf.shape(s)) for s in states]
        return new_states, tf.where(low[..., None], tf.zeros_like(log_w), log_w)

    return tf.cond(tf.reduce_any(low), resample, lambda: (states, log_w))


def _anneal_inputs(params, num_chains, num_temperatures, seeds, base_b1, base_b2, method):
    """Checked arguments of _anneal for annealed_log_z's arguments and seeds [2, 2] (int64)."""
    if method not in ("ais", "pa"):
        raise ValueError(f"method must be 'ais' or 'pa', got {method!r}")
    if num_temperatures < 2:
        raise ValueError(f"num_temperatures must be >= 2, got {num_temperatures}")
    params = rbm.RBMParams(*[tf.stop_gradient(tf.convert_to_tensor(t, tf.float32)) for t in params])
    base_b1 = tf.zeros_like(params.b1) if base_b1 is None else tf.convert_to_tensor(base_b1, tf.float32)
    base_b2 = tf.zeros_like(params.b2) if base_b2 is None else tf.convert_to_tensor(base_b2, tf.float32)
    base_b1, base_b2 = tf.stop_gradient(base_b1), tf.stop_gradient(base_b2)
    z1 = gibbs.stateless_bernoulli_sample(tf.tile(base_b1[:, None, :], [1, num_chains, 1]), seeds[:, 0])  # exact base
    num_subpopulations = _num_subpopulations(num_chains) if method == "pa" else 1
    return (params, base_b1, base_b2, z1, tf.constant(num_temperatures), seeds[:, 1], num_subpopulations,
            method == "pa")


def anneal_compiler_ir(params, num_chains, num_temperatures, base_b1=None, base_b2=None, method="ais", stage="hlo"):
    """The XLA IR (text of `stage`, as tf.function's experimental_get_compiler_ir) of the annealing loop that
    annealed_log_z runs for these arguments; nothing is run."""
    seeds = tf.zeros([2, 2], tf.int64)
    inputs = _anneal_inputs(params, num_chains, num_temperatures, seeds, base_b1, base_b2, method)
    return _anneal.experimental_get_compiler_ir(*inputs)(stage=stage)


def annealed_log_z(params, num_chains, num_temperatures, rng, base_b1=None, base_b2=None, method="ais"):
    """Estimates log Z of B RBMs (params: RBMParams [B, ...]) with num_chains chains each.

    num_temperatures = M >= 2 linear temperatures from the base RBM (base_b1 [B, n1], base_b2 [B, n2],
    W = 0; None = zeros = uniform). method 'ais': log Z = log Z_base + logmeanexp(log w), delta-method
    stderr. method 'pa': resample (systematic) when the ESS fraction < 1/2, within each of up to 16
    sub-populations; log Z from the mean of their Z estimates, stderr from their spread.
    rng (tf.random.Generator) supplies one seed. Returns AISResult (final states are not exact samples; their
    log_weights make them a weighted sample of the target, across sub-populations for 'pa').
    """
    inputs = _anneal_inputs(params, num_chains, num_temperatures, rng.make_seeds(2), base_b1, base_b2, method)
    params, base_b1, base_b2 = inputs[:3]
    batch = tf.shape(params.b1)[0]
    z1, z2, log_w, log_ratio = _anneal(*inputs)
    log_z_base = rbm.factorised_log_z(base_b1, base_b2)
    if method == "ais":
        log_mean, stderr = resampling.log_mean_exp_and_stderr(log_w[:, 0], axis=-1)
    else:
        log_mean, stderr = resampling.log_mean_exp_and_stderr(log_ratio, axis=-1)
        # Weights comparable across sub-populations: each one's normalised weights times its estimate of Z.
        log_w = log_w - tf.reduce_logsumexp(log_w, -1, keepdims=True) + log_ratio[..., None]
    return AISResult(z1, z2, log_z_base + log_mean, stderr, tf.reshape(log_w, [batch, num_chains]))

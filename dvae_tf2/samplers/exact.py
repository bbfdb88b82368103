"""Brute-force log Z and moments of small RBMs by enumerating the smaller side (float64 numpy)."""
import numpy as np
from scipy import special

MAX_ENUMERATED_UNITS = 20
_CHUNK = 1 << 14  # states per enumeration chunk


def enumerate_states(n, start=0, stop=None):
    """Binary vectors of the integers start..stop-1 (default all 2^n), most significant bit first: [S, n] float64."""
    codes = np.arange(start, (1 << n) if stop is None else stop, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)


def _smaller_side_first(params):
    """(b1, b2, w, swapped) as float64 numpy with side 1 the smaller side; w [B, n1, n2]."""
    b1, b2, w = (np.asarray(t, dtype=np.float64) for t in params)
    if min(b1.shape[-1], b2.shape[-1]) > MAX_ENUMERATED_UNITS:
        raise ValueError(f"exact enumeration needs a side with <= {MAX_ENUMERATED_UNITS} units; "
                         f"got n1={b1.shape[-1]}, n2={b2.shape[-1]}")
    swapped = b2.shape[-1] < b1.shape[-1]
    if swapped:
        b1, b2, w = b2, b1, np.swapaxes(w, 1, 2)
    return b1, b2, w, swapped


def _chunks(b1, b2, w):
    """Yields (z1 [S, n1], -F(z1) [B, S], sigmoid(b2 + z1 W) [B, S, n2]) over all z1, chunked."""
    n1 = b1.shape[-1]
    for start in range(0, 1 << n1, _CHUNK):
        z1 = enumerate_states(n1, start, min(start + _CHUNK, 1 << n1))
        logits2 = b2[:, None, :] + np.einsum('sn,bnm->bsm', z1, w)
        neg_free_energy = z1 @ b1.T + np.logaddexp(0.0, logits2).sum(-1).T  # -F = b1.z1 + sum softplus
        yield z1, neg_free_energy.T, special.expit(logits2)


def exact_log_z(params):
    """log Z [B] of RBMParams-like (b1 [B, n1], b2 [B, n2], w [B, n1, n2]); ValueError if min(n1, n2) > 20."""
    b1, b2, w, _ = _smaller_side_first(params)
    return special.logsumexp(np.stack([special.logsumexp(nf, axis=-1) for _, nf, _ in _chunks(b1, b2, w)], -1), -1)


def exact_moments(params):
    """(E[z1] [B, n1], E[z2] [B, n2], E[z1 z2^T] [B, n1, n2]) under p(z) = exp(-E(z)) / Z."""
    b1, b2, w, swapped = _smaller_side_first(params)
    log_z = exact_log_z((b1, b2, w))
    m1, m2, m12 = np.zeros(b1.shape), np.zeros(b2.shape), np.zeros(w.shape)
    for z1, neg_free_energy, mean2 in _chunks(b1, b2, w):
        prob = np.exp(neg_free_energy - log_z[:, None])  # p(z1) [B, S]
        m1 += prob @ z1
        m2 += np.einsum('bs,bsm->bm', prob, mean2)  # E[z2] = E_z1[sigmoid(b2 + z1 W)]
        m12 += np.einsum('bs,sn,bsm->bnm', prob, z1, mean2)
    return (m2, m1, np.swapaxes(m12, 1, 2)) if swapped else (m1, m2, m12)

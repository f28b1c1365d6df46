"""FlatAdam against a literal per-parameter TensorFlow-Adam reference."""

import math

import torch
from torch import nn

from iam_repro.ppo.optim import FlatAdam


def tf_adam_reference(params, grads_per_step, lr, b1=0.9, b2=0.999, eps=1e-8):
    """TF1 AdamOptimizer, written out per parameter in float64."""
    theta = [p.detach().double().clone() for p in params]
    m = [torch.zeros_like(t) for t in theta]
    v = [torch.zeros_like(t) for t in theta]
    for t, grads in enumerate(grads_per_step, start=1):
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        for i, g in enumerate(grads):
            g = g.double()
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            theta[i] = theta[i] - lr_t * m[i] / (v[i].sqrt() + eps)
    return theta


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 7, bias=False), nn.ReLU(), nn.Linear(7, 3))


def test_flat_adam_matches_tensorflow_adam_step_by_step():
    model = _model()
    start = [p.detach().clone() for p in model.parameters()]
    # A large epsilon makes TF's placement of it (outside the bias correction) visible.
    opt = FlatAdam(model.parameters(), lr=1e-2, eps=0.1)
    x = torch.randn(16, 5)
    grads_seen = []
    for _ in range(5):
        opt.zero_grad()
        model(x).square().mean().backward()
        grads_seen.append([p.grad.clone() for p in model.parameters()])
        opt.step()
    reference_model = _model()
    for p, s in zip(reference_model.parameters(), start, strict=True):
        assert torch.equal(p, s)
    expected = tf_adam_reference(list(reference_model.parameters()), grads_seen, lr=1e-2, eps=0.1)
    for p, e in zip(model.parameters(), expected, strict=True):
        torch.testing.assert_close(p.double(), e, rtol=1e-5, atol=1e-7)


def test_gradients_accumulate_into_the_flat_buffer_and_zero_grad_clears_them():
    model = _model()
    opt = FlatAdam(model.parameters(), lr=1e-3)
    model(torch.randn(4, 5)).sum().backward()
    assert opt.flat_grad.abs().sum() > 0
    assert all(p.grad.data_ptr() >= opt.flat_grad.data_ptr() for p in model.parameters())
    opt.zero_grad()
    assert opt.flat_grad.abs().sum() == 0
    assert all(p.grad is not None and p.grad.abs().sum() == 0 for p in model.parameters())


def test_differs_from_torch_adam_only_through_epsilon_placement():
    model_a, model_b = _model(), _model()
    flat = FlatAdam(model_a.parameters(), lr=1e-2, eps=0.0)
    ref = torch.optim.Adam(model_b.parameters(), lr=1e-2, eps=0.0)
    x = torch.randn(8, 5)
    for _ in range(3):
        flat.zero_grad()
        ref.zero_grad()
        model_a(x).square().mean().backward()
        model_b(x).square().mean().backward()
        flat.step()
        ref.step()
    for a, b in zip(model_a.parameters(), model_b.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)

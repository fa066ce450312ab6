//! `Var`: a node of the dynamic graph, and the switch that stops recording.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Result;
use crate::gpu::{Gpu, Tensor};

/// Computes the gradients of an op's inputs from the gradient of its output,
/// with `Var` ops so the computation can itself be differentiated.
/// Arguments: the upstream gradient, the op's inputs, the op's output, and
/// which inputs need a gradient (others may be skipped: return None).
pub(crate) type BackwardFn = Box<dyn Fn(&Var, &[Var], &Var, &[bool]) -> Result<Vec<Option<Var>>>>;

pub(crate) struct Node {
    pub id: u64,
    pub value: Tensor,
    pub gpu: Gpu,
    pub requires_grad: bool,
    pub inputs: Vec<Var>,
    pub backward: Option<BackwardFn>,
    pub name: &'static str,
}

/// A tensor in the autograd graph. Cheap to clone (shared node).
#[derive(Clone)]
pub struct Var(pub(crate) Rc<Node>);

impl std::fmt::Debug for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var({} {:?})", self.0.name, self.0.value.shape())
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static RECORDING: Cell<bool> = const { Cell::new(true) };
}

/// While alive, ops record nothing: their outputs are constants.
pub struct NoGradGuard(bool);

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        RECORDING.with(|r| r.set(self.0));
    }
}

/// Stops recording until the guard is dropped (like `torch.no_grad()`).
pub fn no_grad() -> NoGradGuard {
    NoGradGuard(RECORDING.with(|r| r.replace(false)))
}

impl Var {
    fn leaf(gpu: &Gpu, value: Tensor, requires_grad: bool, name: &'static str) -> Var {
        Var(Rc::new(Node {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            value,
            gpu: gpu.clone(),
            requires_grad,
            inputs: Vec::new(),
            backward: None,
            name,
        }))
    }

    /// A trainable tensor: gradients flow to it.
    pub fn parameter(gpu: &Gpu, value: Tensor) -> Var {
        Var::leaf(gpu, value, true, "parameter")
    }

    /// A tensor gradients do not flow to (data, noise).
    pub fn constant(gpu: &Gpu, value: Tensor) -> Var {
        Var::leaf(gpu, value, false, "constant")
    }

    /// An input we want gradients for, such as x̂ of the gradient penalty.
    pub fn input(gpu: &Gpu, value: Tensor) -> Var {
        Var::leaf(gpu, value, true, "input")
    }

    /// The output of an op: records the inputs and the backward function when
    /// recording is on and some input requires a gradient.
    pub(crate) fn from_op(
        name: &'static str,
        value: Tensor,
        inputs: &[&Var],
        backward: BackwardFn,
    ) -> Var {
        let gpu = inputs[0].gpu().clone();
        let recording = RECORDING.with(Cell::get);
        if !(recording && inputs.iter().any(|v| v.requires_grad())) {
            return Var::leaf(&gpu, value, false, name);
        }
        Var(Rc::new(Node {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            value,
            gpu,
            requires_grad: true,
            inputs: inputs.iter().map(|&v| v.clone()).collect(),
            backward: Some(backward),
            name,
        }))
    }

    pub fn value(&self) -> &Tensor {
        &self.0.value
    }

    pub fn shape(&self) -> &[usize] {
        self.0.value.shape()
    }

    pub fn gpu(&self) -> &Gpu {
        &self.0.gpu
    }

    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    /// The same value without history.
    pub fn detach(&self) -> Var {
        Var::leaf(self.gpu(), self.value().clone(), false, "detached")
    }

    /// Reads the value back (waits for the GPU).
    pub fn to_vec(&self) -> Result<Vec<f32>> {
        self.gpu().read(self.value())
    }

    pub(crate) fn id(&self) -> u64 {
        self.0.id
    }
}

//! The backward pass: reverse topological order over the recorded graph,
//! gradients accumulated with `Var` additions.

use std::collections::{HashMap, HashSet};

use super::ops;
use super::var::{Var, no_grad};
use crate::error::{Error, Result};

/// Gradients of the scalar `output` with respect to each of `inputs` (like
/// `torch.autograd.grad`). An input the output does not depend on gets zeros.
///
/// With `create_graph`, the backward computation is recorded so that the
/// returned gradients can be differentiated again; without it nothing is
/// recorded and the gradients are constants.
pub fn grad(output: &Var, inputs: &[&Var], create_graph: bool) -> Result<Vec<Var>> {
    if output.value().len() != 1 {
        return Err(Error::Invalid {
            op: "grad",
            reason: format!(
                "the output must be a scalar, found shape {:?}",
                output.shape()
            ),
        });
    }
    let _guard = (!create_graph).then(no_grad);
    let order = topological_order(output);
    // Only nodes on a path to a requested input need gradients: the penalty's
    // ∇x̂ D skips every weight gradient of the critic this way.
    let mut relevant: HashSet<u64> = inputs.iter().map(|v| v.id()).collect();
    for node in &order {
        if node.0.inputs.iter().any(|i| relevant.contains(&i.id())) {
            relevant.insert(node.id());
        }
    }
    let mut grads: HashMap<u64, Var> = HashMap::new();
    grads.insert(output.id(), ops::ones_like(output)?);
    for node in order.iter().rev() {
        let Some(backward) = &node.0.backward else {
            continue;
        };
        if !relevant.contains(&node.id()) {
            continue;
        }
        let Some(upstream) = grads.get(&node.id()).cloned() else {
            continue;
        };
        let needs: Vec<bool> = node
            .0
            .inputs
            .iter()
            .map(|i| relevant.contains(&i.id()))
            .collect();
        let input_grads = backward(&upstream, &node.0.inputs, node, &needs)?;
        for ((input, g), &needed) in node.0.inputs.iter().zip(input_grads).zip(&needs) {
            let Some(g) = g else { continue };
            if !needed {
                continue;
            }
            let total = match grads.remove(&input.id()) {
                Some(previous) => ops::add(&previous, &g)?,
                None => g,
            };
            grads.insert(input.id(), total);
        }
        // Interior gradients are not needed again: free them early.
        if !inputs.iter().any(|v| v.id() == node.id()) {
            grads.remove(&node.id());
        }
    }
    inputs
        .iter()
        .map(|v| match grads.get(&v.id()) {
            Some(g) => Ok(g.clone()),
            None => ops::zeros_like(v),
        })
        .collect()
}

/// Nodes reachable from `output` through inputs that require gradients,
/// each after all of its inputs.
fn topological_order(output: &Var) -> Vec<Var> {
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    // Iterative DFS: deep graphs (a double backward doubles the depth) must
    // not overflow the stack.
    let mut stack = vec![(output.clone(), false)];
    while let Some((v, expanded)) = stack.pop() {
        if expanded {
            order.push(v);
            continue;
        }
        if !v.requires_grad() || !seen.insert(v.id()) {
            continue;
        }
        stack.push((v.clone(), true));
        for input in &v.0.inputs {
            if input.requires_grad() && !seen.contains(&input.id()) {
                stack.push((input.clone(), false));
            }
        }
    }
    order
}

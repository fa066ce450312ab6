//! lavapipe (Mesa 22.3) handles a branch on uniforms alone in one of two
//! costly ways. It may inline the uniforms and, when its size test on the
//! result passes, compile the shader again at every dispatch that binds
//! new uniforms (`lvp_inline_uniforms.c`): the lavapipe matmul did so once
//! its transposes became uniforms, ~0.6 s a dispatch without a warm Mesa
//! shader cache, W1 11–12 s an iteration (BENCHMARKS.md item 43). Or
//! gallivm runs every side of the branch under lane masks. Batch norm's
//! apply, switching on a uniform activation code, took ~1.4× as long a
//! launch in W3 as with the code as an override constant (with the same
//! uniforms at every dispatch the two ran alike, so which cost it paid is
//! not pinned down); RMSprop with `if`s on its variant ~1.15× (item 48).
//! So no shader branches on uniforms alone: a choice is an override
//! constant, which NIR folds away, or a select. This test finds an `if`,
//! `switch` or `break if` whose condition depends on uniforms and
//! constants alone, following a helper's arguments to its callers. It
//! does not follow a helper's return value or a value kept in a `var`
//! (conv.wgsl's `window` switches on a shift kept so, which its loop steps
//! and every invocation shares: four swizzles): a branch on one passes
//! unseen.

use std::collections::HashMap;

use gpugan::gpu::shaders::Shader;
use naga::{AddressSpace, Block, Expression, Function, Handle, Module, Statement};

/// What a value depends on: constants only, uniforms (and constants), or
/// anything that differs between invocations or dispatches' data.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Source {
    Constant,
    Uniform,
    Varying,
}

/// Which arguments of each function some call site fills from uniforms
/// alone (NIR inlines every call, so one such call site is enough).
type UniformArgs = HashMap<Handle<Function>, Vec<bool>>;

struct Scope<'a> {
    module: &'a Module,
    function: &'a Function,
    /// This function's arguments that a call site fills from uniforms.
    args: &'a [bool],
}

impl Scope<'_> {
    fn source(&self, e: Handle<Expression>) -> Source {
        let all = |es: &[Handle<Expression>]| {
            es.iter()
                .map(|&e| self.source(e))
                .max()
                .unwrap_or(Source::Constant)
        };
        match &self.function.expressions[e] {
            Expression::Literal(_)
            | Expression::Constant(_)
            | Expression::Override(_)
            | Expression::ZeroValue(_) => Source::Constant,
            Expression::GlobalVariable(g) => {
                if self.module.global_variables[*g].space == AddressSpace::Uniform {
                    Source::Uniform
                } else {
                    Source::Varying
                }
            }
            Expression::FunctionArgument(i) => {
                if self.args.get(*i as usize) == Some(&true) {
                    Source::Uniform
                } else {
                    Source::Varying
                }
            }
            Expression::Load { pointer } => self.source(*pointer),
            Expression::AccessIndex { base, .. } => self.source(*base),
            Expression::Access { base, index } => all(&[*base, *index]),
            Expression::Unary { expr, .. }
            | Expression::As { expr, .. }
            | Expression::Relational { argument: expr, .. }
            | Expression::Splat { value: expr, .. }
            | Expression::Swizzle { vector: expr, .. } => self.source(*expr),
            Expression::Binary { left, right, .. } => all(&[*left, *right]),
            Expression::Select {
                condition,
                accept,
                reject,
            } => all(&[*condition, *accept, *reject]),
            Expression::Math {
                arg,
                arg1,
                arg2,
                arg3,
                ..
            } => all(&[Some(*arg), *arg1, *arg2, *arg3]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()),
            Expression::Compose { components, .. } => all(components),
            _ => Source::Varying,
        }
    }

    /// Calls `visit` with every statement of `block`, nested ones included.
    fn walk(block: &Block, visit: &mut dyn FnMut(&Statement)) {
        for s in block.iter() {
            visit(s);
            match s {
                Statement::Block(b) => Self::walk(b, visit),
                Statement::If { accept, reject, .. } => {
                    Self::walk(accept, visit);
                    Self::walk(reject, visit);
                }
                Statement::Switch { cases, .. } => {
                    for case in cases {
                        Self::walk(&case.body, visit);
                    }
                }
                Statement::Loop {
                    body, continuing, ..
                } => {
                    Self::walk(body, visit);
                    Self::walk(continuing, visit);
                }
                _ => {}
            }
        }
    }

    /// The conditions that test uniforms alone, as "function: kind".
    fn uniform_branches(&self, name: &str) -> Vec<String> {
        let mut found = Vec::new();
        Self::walk(&self.function.body, &mut |s| {
            let tested = match s {
                Statement::If { condition, .. } => Some(("if", *condition)),
                Statement::Switch { selector, .. } => Some(("switch", *selector)),
                Statement::Loop {
                    break_if: Some(c), ..
                } => Some(("break if", *c)),
                _ => None,
            };
            if let Some((kind, e)) = tested
                && self.source(e) == Source::Uniform
            {
                found.push(format!("{name}: {kind}"));
            }
        });
        found
    }

    /// Marks the arguments this function's calls fill from uniforms alone;
    /// true if any mark is new.
    fn mark_uniform_args(&self, marks: &mut UniformArgs) -> bool {
        let mut calls = Vec::new();
        Self::walk(&self.function.body, &mut |s| {
            if let Statement::Call {
                function,
                arguments,
                ..
            } = s
            {
                calls.push((*function, arguments.clone()));
            }
        });
        let mut changed = false;
        for (callee, arguments) in calls {
            let n = self.module.functions[callee].arguments.len();
            for (i, &a) in arguments.iter().enumerate() {
                let slot = &mut marks.entry(callee).or_insert_with(|| vec![false; n])[i];
                if !*slot && self.source(a) == Source::Uniform {
                    *slot = true;
                    changed = true;
                }
            }
        }
        changed
    }
}

/// Every function of `module`, entry points first, with its name and the
/// arguments `marks` says some call site fills from uniforms alone.
fn functions<'a>(
    module: &'a Module,
    marks: &UniformArgs,
) -> Vec<(String, &'a Function, Vec<bool>)> {
    let entry_points = module
        .entry_points
        .iter()
        .map(|ep| (ep.name.clone(), &ep.function, Vec::new()));
    let helpers = module.functions.iter().map(|(h, f)| {
        let args = marks.get(&h).cloned().unwrap_or_default();
        (f.name.clone().unwrap_or_default(), f, args)
    });
    entry_points.chain(helpers).collect()
}

/// Every branch of `module` that tests uniforms alone.
fn uniform_branches(module: &Module) -> Vec<String> {
    let mut marks = UniformArgs::new();
    // Arguments marked at one call site can mark those of its callees.
    loop {
        let mut changed = false;
        for (_, function, args) in functions(module, &marks) {
            let scope = Scope {
                module,
                function,
                args: &args,
            };
            changed |= scope.mark_uniform_args(&mut marks);
        }
        if !changed {
            break;
        }
    }
    let mut found = Vec::new();
    for (name, function, args) in functions(module, &marks) {
        let scope = Scope {
            module,
            function,
            args: &args,
        };
        found.extend(scope.uniform_branches(&name));
    }
    found
}

fn parse(source: &str) -> Module {
    naga::front::wgsl::parse_str(source).unwrap_or_else(|e| panic!("{}", e.emit_to_string(source)))
}

#[test]
fn no_shader_branches_on_uniforms_alone() {
    for shader in Shader::ALL {
        let found = uniform_branches(&parse(shader.source()));
        assert!(
            found.is_empty(),
            "{}: branches on uniforms alone (use an override constant or a select): {found:?}",
            shader.file_name()
        );
    }
}

#[test]
fn the_check_finds_uniform_branches_directly_and_through_helpers() {
    // The check itself, on a shader with each kind of branch: an `if` on a
    // uniform, a switch on one, one through a helper's argument, and
    // branches it must let pass (on an override, on an invocation's id).
    let source = "
        struct Params { a: u32, b: u32 }
        @group(0) @binding(0) var<uniform> p: Params;
        @group(0) @binding(1) var<storage, read_write> out: array<u32>;
        override FLAG: bool = false;
        fn helper(x: u32, i: u32) {
            if x > 2u { out[i] = 1u; }
            if i > 2u { out[i] = 2u; }
        }
        @compute @workgroup_size(8)
        fn main(@builtin(global_invocation_id) id: vec3<u32>) {
            if p.a != 0u { out[0] = 1u; }
            switch p.b { case 1u: { out[1] = 1u; } default: {} }
            if FLAG { out[2] = 1u; }
            if id.x < p.a { out[3] = 1u; }
            out[4] = select(0u, 1u, p.a != 0u);
            helper(p.b + 1u, id.x);
        }
    ";
    let mut found = uniform_branches(&parse(source));
    found.sort();
    assert_eq!(found, ["helper: if", "main: if", "main: switch"]);
}

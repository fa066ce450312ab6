//! Every `shaders/*.wgsl` is parsed and validated by naga and translated to
//! SPIR-V, MSL and HLSL for each entry point, so a shader that would fail on
//! Metal or DX12 fails here although only Vulkan runs here.

use std::collections::BTreeSet;

use gpugan::gpu::shaders::Shader;
use naga::back::{PipelineConstants, hlsl, msl, spv};
use naga::valid::{Capabilities, ValidationFlags, Validator};

/// Subgroup shaders are validated with subgroup operations in compute
/// shaders (the SUBGROUP feature wgpu asks of the device); the others
/// without any capability, so they stay portable to every back end.
fn validate(module: &naga::Module, shader: Shader) -> naga::valid::ModuleInfo {
    let name = shader.file_name();
    let mut validator = if shader.needs_subgroups() {
        let mut v = Validator::new(ValidationFlags::all(), Capabilities::SUBGROUP);
        v.subgroup_stages(naga::valid::ShaderStages::COMPUTE)
            .subgroup_operations(naga::valid::SubgroupOperationSet::all());
        v
    } else {
        Validator::new(ValidationFlags::all(), Capabilities::empty())
    };
    validator
        .validate(module)
        .unwrap_or_else(|e| panic!("{name}: naga validation failed:\n{}", e.emit_to_string("")))
}

#[test]
fn every_shader_file_is_registered() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wgsl"))
        .collect();
    let registered: BTreeSet<String> = Shader::ALL
        .iter()
        .map(|s| s.file_name().to_string())
        .collect();
    assert_eq!(
        on_disk, registered,
        "shaders/ and Shader::ALL must list the same files"
    );
    for shader in Shader::ALL {
        let text = std::fs::read_to_string(dir.join(shader.file_name())).unwrap();
        assert_eq!(
            text,
            shader.source(),
            "{} embedded source is stale",
            shader.file_name()
        );
    }
}

/// Values the host gives an override besides its default. Each is
/// translated as its own specialisation, one override at a time.
fn override_values(name: &str) -> Vec<f64> {
    match name {
        "TRANS_A" | "TRANS_B" | "B_CONV" | "A_CONV" | "CENTERED" | "MOMENTUM" => vec![1.0],
        "LAYOUT" => vec![1.0, 2.0, 3.0],
        "CHANNEL_WORKGROUP" => vec![8.0, 16.0, 32.0],
        // Activation::code_and_slope's codes; ToyKind's.
        "ACT" => vec![1.0, 2.0, 3.0, 4.0],
        "KIND" => vec![1.0, 2.0],
        // Every elementwise op code (and some unused ones: the switch's
        // default takes them).
        "OP" => (1..=40).map(f64::from).collect(),
        other => panic!("override {other}: list the values the host sets in override_values"),
    }
}

#[test]
fn every_shader_validates_and_translates_to_spirv_msl_hlsl() {
    for shader in Shader::ALL {
        let name = shader.file_name();
        let module = naga::front::wgsl::parse_str(shader.source()).unwrap_or_else(|e| {
            panic!(
                "{name}: WGSL parse failed:\n{}",
                e.emit_to_string(shader.source())
            )
        });
        let info = validate(&module, shader);
        assert!(!module.entry_points.is_empty(), "{name} has no entry point");
        // The defaults, then each override at each value the host uses,
        // then every override at its first such value at once (RMSprop's
        // centered momentum variant sets two).
        let mut variants = vec![PipelineConstants::default()];
        let mut together = PipelineConstants::default();
        for (_, o) in module.overrides.iter() {
            let key = o.name.clone().expect("named override");
            let values = override_values(&key);
            together.insert(key.clone(), values[0]);
            for value in values {
                variants.push(PipelineConstants::from([(key.clone(), value)]));
            }
        }
        if together.len() > 1 {
            variants.push(together);
        }
        for ep in &module.entry_points {
            for constants in &variants {
                translate(shader, &module, &info, ep, constants);
            }
        }
    }
}

/// `ep` of `module` with `constants` to SPIR-V, MSL and HLSL.
fn translate(
    shader: Shader,
    module: &naga::Module,
    info: &naga::valid::ModuleInfo,
    ep: &naga::EntryPoint,
    constants: &PipelineConstants,
) {
    let name = format!("{}::{} {constants:?}", shader.file_name(), ep.name);
    let entry = (ep.stage, ep.name.as_str());
    // Back ends take a module with its override constants resolved, as
    // wgpu does at pipeline creation.
    let (resolved, resolved_info) =
        naga::back::pipeline_constants::process_overrides(module, info, Some(entry), constants)
            .unwrap_or_else(|e| panic!("{name}: overrides: {e}"));

    let spv_pipeline = spv::PipelineOptions {
        shader_stage: ep.stage,
        entry_point: ep.name.clone(),
    };
    let words = spv::write_vec(
        &resolved,
        &resolved_info,
        &spv::Options::default(),
        Some(&spv_pipeline),
    )
    .unwrap_or_else(|e| panic!("{name}: SPIR-V: {e}"));
    assert!(words.len() > 5, "{name}: empty SPIR-V");

    let msl_pipeline = msl::PipelineOptions {
        entry_point: Some((ep.stage, ep.name.clone())),
        ..Default::default()
    };
    // Metal has simd_broadcast from MSL 2.1, HLSL wave intrinsics from
    // shader model 6.0.
    let msl_options = msl::Options {
        lang_version: if shader.needs_subgroups() {
            (2, 1)
        } else {
            msl::Options::default().lang_version
        },
        ..Default::default()
    };
    let (msl_text, _) = msl::write_string(&resolved, &resolved_info, &msl_options, &msl_pipeline)
        .unwrap_or_else(|e| panic!("{name}: MSL: {e}"));
    assert!(msl_text.contains("kernel"), "{name}: MSL has no kernel");

    let hlsl_options = hlsl::Options {
        shader_model: if shader.needs_subgroups() {
            hlsl::ShaderModel::V6_0
        } else {
            hlsl::ShaderModel::V5_1
        },
        ..Default::default()
    };
    let hlsl_pipeline = hlsl::PipelineOptions {
        entry_point: Some((ep.stage, ep.name.clone())),
    };
    let mut hlsl_text = String::new();
    hlsl::Writer::new(&mut hlsl_text, &hlsl_options, &hlsl_pipeline)
        .write(&resolved, &resolved_info, None)
        .unwrap_or_else(|e| panic!("{name}: HLSL: {e}"));
    assert!(
        hlsl_text.contains("numthreads"),
        "{name}: HLSL has no compute entry"
    );
}

//! The resolved configuration as TOML: written into the run folder and into
//! every checkpoint's metadata, read back when a run is resumed or sampled.

use std::path::PathBuf;

use clap::ValueEnum;
use toml::{Table, Value};

use super::config::{DataSpec, TrainConfig};
use crate::error::{Error, Result};

fn enum_name<E: ValueEnum>(v: &E) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .expect("every variant has a name")
}

fn invalid(reason: String) -> Error {
    Error::Invalid {
        op: "config",
        reason,
    }
}

/// Typed access to the keys of a parsed table; every key must be present.
struct Keys<'a>(&'a Table);

impl Keys<'_> {
    fn get(&self, key: &str) -> Result<&Value> {
        self.0
            .get(key)
            .ok_or_else(|| invalid(format!("missing key '{key}'")))
    }

    fn string(&self, key: &str) -> Result<String> {
        self.get(key)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| invalid(format!("'{key}' must be a string")))
    }

    fn float(&self, key: &str) -> Result<f32> {
        match self.get(key)? {
            Value::Float(f) => Ok(*f as f32),
            Value::Integer(i) => Ok(*i as f32),
            _ => Err(invalid(format!("'{key}' must be a number"))),
        }
    }

    fn uint(&self, key: &str) -> Result<u64> {
        self.get(key)?
            .as_integer()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| invalid(format!("'{key}' must be a non-negative integer")))
    }

    fn usize(&self, key: &str) -> Result<usize> {
        Ok(self.uint(key)? as usize)
    }

    fn choice<E: ValueEnum>(&self, key: &str) -> Result<E> {
        let s = self.string(key)?;
        E::from_str(&s, false).map_err(|_| invalid(format!("'{key}' = '{s}' is not a known value")))
    }
}

impl TrainConfig {
    /// Every field, one key each (the clip key only when clipping).
    pub fn to_toml(&self) -> String {
        let mut t = Table::new();
        let mut set = |k: &str, v: Value| {
            t.insert(k.to_string(), v);
        };
        set("data", Value::String(self.data.name()));
        set("loss", Value::String(enum_name(&self.loss)));
        set("opt", Value::String(enum_name(&self.opt)));
        set("lr", Value::Float(f64::from(self.lr)));
        set("lr_decay", Value::String(enum_name(&self.lr_decay)));
        set("beta1", Value::Float(f64::from(self.beta1)));
        set("beta2", Value::Float(f64::from(self.beta2)));
        set("n_critic", Value::Integer(self.n_critic as i64));
        set("gp_lambda", Value::Float(f64::from(self.gp_lambda)));
        if let Some(c) = self.clip {
            set("clip", Value::Float(f64::from(c)));
        }
        set("batch_size", Value::Integer(self.batch_size as i64));
        set("z_dim", Value::Integer(self.z_dim as i64));
        set("steps", Value::Integer(self.steps as i64));
        // A seed past i64 would not survive TOML: keep its bits.
        set("seed", Value::Integer(self.seed as i64));
        set("hidden", Value::Integer(self.hidden as i64));
        set("depth", Value::Integer(self.depth as i64));
        set("model", Value::String(enum_name(&self.model)));
        set("g_width", Value::Integer(self.g_width as i64));
        set("d_width", Value::Integer(self.d_width as i64));
        set("d_norm", Value::String(enum_name(&self.d_norm)));
        set("conditional", Value::Boolean(self.conditional));
        set("cond_critic", Value::String(enum_name(&self.cond_critic)));
        set("image_size", Value::Integer(self.image_size as i64));
        set("channels", Value::Integer(self.channels as i64));
        set("out", Value::String(self.out.display().to_string()));
        set("log_every", Value::Integer(self.log_every as i64));
        set("sample_every", Value::Integer(self.sample_every as i64));
        set(
            "checkpoint_every",
            Value::Integer(self.checkpoint_every as i64),
        );
        set("keep", Value::Integer(self.keep as i64));
        toml::to_string(&t).expect("a flat table serialises")
    }

    /// Parses what `to_toml` wrote; `source` names it in errors.
    pub fn from_toml(text: &str, source: &str) -> Result<Self> {
        let table: Table = text
            .parse()
            .map_err(|e| invalid(format!("{source}: not valid TOML: {e}")))?;
        Self::from_table(&Keys(&table)).map_err(|e| invalid(format!("{source}: {e}")))
    }

    fn from_table(k: &Keys) -> Result<Self> {
        let data = DataSpec::parse(&k.string("data")?).map_err(invalid)?;
        Ok(TrainConfig {
            data,
            loss: k.choice("loss")?,
            opt: k.choice("opt")?,
            lr: k.float("lr")?,
            lr_decay: k.choice("lr_decay")?,
            beta1: k.float("beta1")?,
            beta2: k.float("beta2")?,
            n_critic: k.usize("n_critic")?,
            gp_lambda: k.float("gp_lambda")?,
            clip: k.0.get("clip").map(|_| k.float("clip")).transpose()?,
            batch_size: k.usize("batch_size")?,
            z_dim: k.usize("z_dim")?,
            steps: k.uint("steps")?,
            seed: k
                .get("seed")?
                .as_integer()
                .map(|i| i as u64)
                .ok_or_else(|| invalid("'seed' must be an integer".into()))?,
            hidden: k.usize("hidden")?,
            depth: k.usize("depth")?,
            model: k.choice("model")?,
            g_width: k.usize("g_width")?,
            d_width: k.usize("d_width")?,
            d_norm: k.choice("d_norm")?,
            conditional: k
                .get("conditional")?
                .as_bool()
                .ok_or_else(|| invalid("'conditional' must be true or false".into()))?,
            cond_critic: k.choice("cond_critic")?,
            image_size: k.usize("image_size")?,
            channels: k.usize("channels")?,
            out: PathBuf::from(k.string("out")?),
            log_every: k.uint("log_every")?,
            sample_every: k.uint("sample_every")?,
            checkpoint_every: k.uint("checkpoint_every")?,
            keep: k.usize("keep")?,
        })
    }
}

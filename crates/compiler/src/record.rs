//! The bridge between the compiler's values and the fields of a [`Step`] (the format's op
//! record): lowering turns graph numbers into record fields here, checking that they fit
//! `u32`, and the reference executor turns record fields back into kernel parameters.
//!
//! [`Step`]: crate::program::Step

use edgebone_kernels::{Activation, Broadcast, Padding, Requant, Rounding};
use edgebone_runtime::format::{Clamp, Rescale, WindowRecord};

use crate::qgraph::{self, Window};
use crate::CompileError;

/// A number that must fit a `u32` field (`what` names it in the error).
pub(crate) fn u32_of(what: &str, v: usize) -> Result<u32, CompileError> {
    u32::try_from(v).map_err(|_| CompileError::TooLarge(format!("{what} ({v}) exceeds u32")))
}

/// A tensor id as a record field.
pub(crate) fn id(v: usize) -> Result<u32, CompileError> {
    u32_of("tensor id", v)
}

/// A graph window as the record's window.
pub(crate) fn window(w: &Window) -> Result<WindowRecord, CompileError> {
    let pair = |v: [usize; 2]| -> Result<[u32; 2], CompileError> {
        Ok([u32_of("window", v[0])?, u32_of("window", v[1])?])
    };
    Ok(WindowRecord {
        kernel: pair(w.kernel)?,
        stride: pair(w.stride)?,
        dilation: pair(w.dilation)?,
        pads: pads(w.pads)?,
    })
}

/// Padding `[top, left, bottom, right]` as record words.
pub(crate) fn pads(p: [usize; 4]) -> Result<[u32; 4], CompileError> {
    Ok([
        u32_of("padding", p[0])?,
        u32_of("padding", p[1])?,
        u32_of("padding", p[2])?,
        u32_of("padding", p[3])?,
    ])
}

/// A graph clamp as the record's clamp.
pub(crate) fn clamp(c: &qgraph::Clamp) -> Clamp {
    Clamp {
        min: i32::from(c.min),
        max: i32::from(c.max),
    }
}

/// A requantisation as the record's rescale.
pub(crate) fn rescale(r: &Requant) -> Rescale {
    Rescale {
        multiplier: r.multiplier,
        shift: r.shift,
    }
}

/// A broadcast as the record's word (0: same shapes, 1: channels).
pub(crate) fn broadcast(b: Broadcast) -> u32 {
    match b {
        Broadcast::None => 0,
        Broadcast::Channels => 1,
    }
}

/// The record's broadcast word as the kernels' broadcast (lowering writes only 0 and 1).
pub(crate) fn broadcast_of(word: u32) -> Broadcast {
    if word == 0 {
        Broadcast::None
    } else {
        Broadcast::Channels
    }
}

/// The record's rescale as the kernels' requantisation, rounding as `rounding` says.
pub(crate) fn requant(r: &Rescale, rounding: Rounding) -> Requant {
    Requant {
        multiplier: r.multiplier,
        shift: r.shift,
        rounding,
    }
}

/// The record's clamp as the kernels' activation (lowering writes int8 bounds; anything
/// else saturates).
pub(crate) fn activation(c: &Clamp) -> Activation {
    let int8 = |v: i32| v.clamp(i8::MIN.into(), i8::MAX.into()) as i8;
    Activation {
        min: int8(c.min),
        max: int8(c.max),
    }
}

/// Record words as the kernels' index pair.
pub(crate) fn pair(v: [u32; 2]) -> [usize; 2] {
    v.map(|x| x as usize)
}

/// Record padding words as the kernels' padding.
pub(crate) fn padding(p: [u32; 4]) -> Padding {
    let [top, left, bottom, right] = p.map(|x| x as usize);
    Padding {
        top,
        left,
        bottom,
        right,
    }
}

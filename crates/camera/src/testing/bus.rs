//! A scripted parallel pixel bus: frames, lines, early VSYNCs and faults in order.

use std::collections::VecDeque;
use std::vec::Vec;

use crate::{Line, PixelBus, PixelBusError};

/// What the bus delivers next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// VSYNC: a new frame begins.
    FrameStart,
    /// One HREF period carrying these bytes.
    Line(Vec<u8>),
    /// A capture fault.
    Fault(PixelBusError),
}

/// A [`PixelBus`] replaying a script of events.
#[derive(Debug, Default)]
pub struct ScriptedBus {
    events: VecDeque<Event>,
}

impl ScriptedBus {
    /// An empty script.
    pub fn new() -> ScriptedBus {
        ScriptedBus::default()
    }

    /// Append a whole frame: a VSYNC followed by one line per row.
    pub fn push_frame<R: AsRef<[u8]>>(&mut self, rows: impl IntoIterator<Item = R>) {
        self.events.push_back(Event::FrameStart);
        for row in rows {
            self.events.push_back(Event::Line(row.as_ref().to_vec()));
        }
    }

    /// Append one event.
    pub fn push(&mut self, event: Event) {
        self.events.push_back(event);
    }

    /// Events not consumed yet.
    pub fn remaining(&self) -> usize {
        self.events.len()
    }
}

impl PixelBus for ScriptedBus {
    fn wait_frame_start(&mut self) -> Result<(), PixelBusError> {
        loop {
            match self.events.pop_front() {
                Some(Event::FrameStart) => return Ok(()),
                Some(Event::Fault(e)) => return Err(e),
                Some(Event::Line(_)) => {}
                None => return Err(PixelBusError::Timeout),
            }
        }
    }

    fn read_line(&mut self, buf: &mut [u8]) -> Result<Line, PixelBusError> {
        match self.events.pop_front() {
            Some(Event::Line(data)) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                Ok(Line::Bytes(data.len()))
            }
            Some(Event::FrameStart) => {
                // The VSYNC also starts the next frame: leave it for `wait_frame_start`.
                self.events.push_front(Event::FrameStart);
                Ok(Line::FrameEnd)
            }
            Some(Event::Fault(e)) => Err(e),
            None => Ok(Line::FrameEnd),
        }
    }
}

//! Test doubles for the sensors (feature `mock`): a scripted parallel pixel bus, builders of
//! the SCCB transactions embedded-hal-mock should expect, and a mocked OV7670 streaming given
//! frames. The crate's own driver tests and the workspace's end-to-end tests share them.

pub mod bus;
pub mod ov7670;
pub mod sccb;

use embedded_hal_mock::eh1::delay::NoopDelay;
use embedded_hal_mock::eh1::i2c::Mock as I2cMock;

use crate::error::Error;
use crate::format::FrameFormat;
use crate::ov7670::{Config, Ov7670};
use bus::ScriptedBus;

/// An OV7670 on a mocked SCCB bus and a scripted pixel bus.
pub type MockOv7670 = Ov7670<I2cMock, ScriptedBus, NoopDelay>;

/// An OV7670 initialised for QVGA RGB565 (high byte first) whose pixel bus delivers `frames`,
/// each a whole frame of 240 rows of 640 bytes, in order.
///
/// The I2C mock expects exactly the init sequence; the returned handle is a clone of the
/// driver's, so `handle.done()` checks that the driver sent all of it and nothing else.
pub fn ov7670_qvga_rgb565<F: AsRef<[u8]>>(
    frames: impl IntoIterator<Item = F>,
) -> Result<(MockOv7670, I2cMock), Error> {
    let config = Config::default();
    let format = FrameFormat::new(config.resolution, config.pixel_format);
    let row = format
        .row_bytes()
        .ok_or(Error::UnsupportedFormat(config.pixel_format))?;
    let mut bus = ScriptedBus::new();
    for frame in frames {
        bus.push_frame(frame.as_ref().chunks(row));
    }
    let expected = ov7670::init_sequence(0x04, ov7670::rgb565_format(), &ov7670::qvga_window(0x04));
    let i2c = I2cMock::new(&expected);
    let mut camera = Ov7670::new(i2c.clone(), bus, NoopDelay);
    camera.init(config)?;
    Ok((camera, i2c))
}

//! [`NoPin`]: the stand-in for an optional control pin that the board does not wire.

use core::convert::Infallible;

use embedded_hal::digital::{ErrorType, OutputPin};

/// An output pin that is not connected; driving it does nothing and never fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NoPin;

impl ErrorType for NoPin {
    type Error = Infallible;
}

impl OutputPin for NoPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

//! The macro that turns the op table (`op.rs`) into the format's types: [`OpCode`], the
//! [`OpRecord`] enum, their encode/decode, operand accessors, in-place rules and MAC
//! counting. Each row is
//!
//! ```text
//! /// Doc.
//! Name = code, since version {
//!     field: Type, ...          // stored in this order, each through its `Field` impl
//! } reads [inputs...] writes output
//!   in_place [input (if condition)?, ...] (alias input)? (macs(output, filter))?;
//! ```
//!
//! `reads` lists the fields holding activation inputs (a tensor id or an id list),
//! `in_place` the inputs whose bytes the output may take over when nobody reads them later
//! (conditions may use any field), `alias` an input whose bytes the output always is
//! (Reshape), and `macs` the output and filter of a layer whose multiply-accumulates are
//! counted as output elements times weights per output channel.
//!
//! [`OpCode`]: super::OpCode
//! [`OpRecord`]: super::OpRecord

/// Generates the op types from the table rows (see the module documentation).
macro_rules! op_table {
    (@cond) => { true };
    (@cond $condition:expr) => { $condition };
    (
        <$lt:lifetime>
        $(
            $(#[$doc:meta])*
            $name:ident = $code:literal, since $since:literal {
                $( $(#[$fdoc:meta])* $field:ident : $ty:ty ),* $(,)?
            }
            reads [ $($input:ident),* ] writes $output:ident
            in_place [ $( $ip:ident $(if $ipc:expr)? ),* ]
            $(alias $alias:ident)?
            $(macs($mo:ident, $mf:ident))? ;
        )*
    ) => {
        /// The op codes of the format.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[repr(u16)]
        pub enum OpCode {
            $( $(#[$doc])* $name = $code, )*
        }

        impl OpCode {
            /// Every op code, in table order.
            pub const ALL: &'static [OpCode] = &[$(OpCode::$name),*];

            /// The op code with value `code`.
            pub fn from_u16(code: u16) -> Option<Self> {
                match code {
                    $( $code => Some(Self::$name), )*
                    _ => None,
                }
            }

            /// The op's name (as in `docs/format.md`).
            pub fn name(self) -> &'static str {
                match self {
                    $( Self::$name => stringify!($name), )*
                }
            }

            /// The first format version with this op.
            pub fn since(self) -> u32 {
                match self {
                    $( Self::$name => $since, )*
                }
            }

            /// The record's fields after the header word, in stored order: each field's
            /// name and its words as `docs/format.md` writes them.
            pub fn fields(self) -> &'static [FieldInfo] {
                OpRecord::field_infos(self)
            }
        }

        /// One op record, as stored (tensor ids and raw parameters; the model validation
        /// checks them against the tensor table).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[allow(missing_docs)] // The fields are the op's operands and parameters, named as in the kernels.
        pub enum OpRecord<$lt> {
            $( $(#[$doc])* $name { $( $(#[$fdoc])* $field: $ty ),* }, )*
        }

        #[allow(unused_variables)] // Each accessor binds every field and uses a few.
        impl<$lt> OpRecord<$lt> {
            /// The op code.
            pub fn code(&self) -> OpCode {
                match self {
                    $( Self::$name { .. } => OpCode::$name, )*
                }
            }

            /// The output tensor (every op has exactly one).
            pub fn output(&self) -> u32 {
                match *self {
                    $( Self::$name { $($field),* } => $output, )*
                }
            }

            /// Calls `f` with each activation input, in operand order.
            pub fn for_each_input(&self, f: &mut dyn FnMut(u32)) {
                match *self {
                    $( Self::$name { $($field),* } => { $( Tensors::each(&$input, f); )* } )*
                }
            }

            /// Calls `f` with each input whose bytes the output may take over when no later
            /// op reads them (the element-wise ops that run in place).
            pub fn for_each_in_place_input(&self, f: &mut dyn FnMut(u32)) {
                match *self {
                    $( Self::$name { $($field),* } => {
                        $( if op_table!(@cond $($ipc)?) { f($ip); } )*
                    } )*
                }
            }

            /// The input whose bytes the output always is (a reshape), if any.
            pub fn alias(&self) -> Option<u32> {
                match *self {
                    $( Self::$name { $($field),* } => {
                        let alias: Option<u32> = None;
                        $( let alias = Some($alias); )?
                        alias
                    } )*
                }
            }

            /// The output and weights of a layer whose multiply-accumulates are counted.
            pub fn filter_macs(&self) -> Option<FilterMacs> {
                match *self {
                    $( Self::$name { $($field),* } => {
                        let macs: Option<FilterMacs> = None;
                        $( let macs = Some(FilterMacs { output: $mo, weights: $mf.weights }); )?
                        macs
                    } )*
                }
            }

            /// The fields of op `code` (see [`OpCode::fields`]).
            fn field_infos(code: OpCode) -> &'static [FieldInfo] {
                match code {
                    $( OpCode::$name => &[$(FieldInfo {
                        name: stringify!($field),
                        layout: <$ty as Field<$lt>>::LAYOUT,
                        words: <$ty as Field<$lt>>::WORDS,
                    }),*], )*
                }
            }

            /// Emits the fields (without the header word) in stored order.
            fn put_fields(&self, sink: &mut dyn FnMut(u32)) {
                match self {
                    $( Self::$name { $($field),* } => { $( Field::put($field, sink); )* } )*
                }
            }

            /// Reads the fields of an op with code `code`.
            fn take_fields(code: OpCode, words: &mut Words<$lt>) -> Result<Self, Error> {
                Ok(match code {
                    $( OpCode::$name => Self::$name {
                        $( $field: <$ty as Field<$lt>>::take(words)?, )*
                    }, )*
                })
            }
        }
    };
}

pub(crate) use op_table;

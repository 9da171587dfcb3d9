//! The macro that turns the op table (`op.rs`) into the format's types: [`OpCode`], the
//! [`OpRecord`] enum, their encode/decode, operand accessors, in-place rules and MAC
//! counting. Each row is
//!
//! ```text
//! /// Doc.
//! Name = code, since version {
//!     field: Type, ...          // stored in this order, each through its `Field` impl
//! } reads [inputs...] writes output
//!   in_place [input (if condition)?, ...] (alias input)? (scratch field)?
//!   (macs(output, filter))?;
//! ```
//!
//! The fields `filter: S::Filter`, `table: S::Table` and `inputs: S::List<'a>` are held as
//! the record's [`Storage`] `S` holds them (in a blob: tensor ids and words, [`Stored`]);
//! every other field is a plain copyable value. `OpRecord::convert` turns a record from one
//! storage into another (it knows the held fields by those names).
//!
//! `reads` lists the fields holding activation inputs (a tensor id or an id list),
//! `in_place` the inputs whose bytes the output may take over when nobody reads them later
//! (conditions may use any field), `alias` an input whose bytes the output always is
//! (Reshape), `scratch` the field holding the op's scratch tensor (or [`NO_SCRATCH`]), and
//! `macs` the output and filter of a layer whose multiply-accumulates are counted as output
//! elements times weights per output channel.
//!
//! [`OpCode`]: super::OpCode
//! [`OpRecord`]: super::OpRecord
//! [`Storage`]: super::Storage
//! [`Stored`]: super::Stored
//! [`NO_SCRATCH`]: super::NO_SCRATCH

/// Generates the op types from the table rows (see the module documentation).
macro_rules! op_table {
    (@cond) => { true };
    (@cond $condition:expr) => { $condition };
    (@convert $c:ident, filter $field:ident) => { $c.filter($field)? };
    (@convert $c:ident, table $field:ident) => { $c.table($field)? };
    (@convert $c:ident, inputs $field:ident) => { $c.list($field)? };
    (@convert $c:ident, $other:ident $field:ident) => { *$field };
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
            $(scratch $scratch:ident)?
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
                <OpRecord<'_>>::field_infos(self)
            }
        }

        /// One op record: tensor ids and raw parameters (the model validation checks them
        /// against the tensor table), with constants and lists held as `S` holds them: in a
        /// blob ([`Stored`], the default) by tensor id, in the compiler as data.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[allow(missing_docs)] // The fields are the op's operands and parameters, named as in the kernels.
        pub enum OpRecord<$lt, S: Storage = Stored> {
            $( $(#[$doc])* $name {
                $( $(#[$fdoc])* $field: $ty ),*
            }, )*
        }

        #[allow(unused_variables)] // Each accessor binds every field and uses a few.
        impl<$lt, S: Storage> OpRecord<$lt, S> {
            /// The op code.
            pub fn code(&self) -> OpCode {
                match self {
                    $( Self::$name { .. } => OpCode::$name, )*
                }
            }

            /// The output tensor (every op has exactly one).
            pub fn output(&self) -> u32 {
                match self {
                    $( Self::$name { $($field),* } => *$output, )*
                }
            }

            /// Calls `f` with each activation input, in operand order.
            pub fn for_each_input(&self, f: &mut dyn FnMut(u32)) {
                match self {
                    $( Self::$name { $($field),* } => { $( Tensors::each($input, f); )* } )*
                }
            }

            /// Calls `f` with each input whose bytes the output may take over when no later
            /// op reads them (the element-wise ops that run in place).
            pub fn for_each_in_place_input(&self, f: &mut dyn FnMut(u32)) {
                match self {
                    $( Self::$name { $($field),* } => {
                        $( if op_table!(@cond $($ipc)?) { f(*$ip); } )*
                    } )*
                }
            }

            /// The input whose bytes the output always is (a reshape), if any.
            pub fn alias(&self) -> Option<u32> {
                match self {
                    $( Self::$name { $($field),* } => {
                        let alias: Option<u32> = None;
                        $( let alias = Some(*$alias); )?
                        alias
                    } )*
                }
            }

            /// The op's scratch tensor, if it has one: kernel working memory in the arena
            /// that lives for this op only.
            pub fn scratch(&self) -> Option<u32> {
                match self {
                    $( Self::$name { $($field),* } => {
                        let scratch: Option<u32> = None;
                        $( let scratch = Some(*$scratch).filter(|&id| id != super::NO_SCRATCH); )?
                        scratch
                    } )*
                }
            }

            /// The same record with its constants and lists converted by `c` to storage
            /// `T` (every other field copied).
            pub fn convert<'b, T: Storage, C: Convert<'b, S, T>>(
                &self,
                c: &mut C,
            ) -> Result<OpRecord<'b, T>, C::Error> {
                Ok(match self {
                    $( Self::$name { $($field),* } => OpRecord::$name {
                        $( $field: op_table!(@convert c, $field $field), )*
                    }, )*
                })
            }
        }

        /// What only a stored record has: MAC operands, the encoding and the decoding.
        #[allow(unused_variables)] // Each accessor binds every field and uses a few.
        impl<$lt, S> OpRecord<$lt, S>
        where
            S: Storage<Filter = FilterIds, Table = u32, List<$lt> = IdList<$lt>>,
        {

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

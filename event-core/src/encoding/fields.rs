//! The `Serialize` and `Deserialize` impls of an event struct whose fields
//! carry no serde attributes: one generic writer and one generic reader
//! for every such struct, where serde's derive writes a field enum, two
//! visitors and their methods into each. They write and read what the
//! derive writes and reads, and report what it reports: a struct of the
//! fields in order; a map of fields by name (or by position), unknown
//! fields skipped, a field given twice, a missing field (an `Option` field
//! left out is `None`), a sequence of the fields in order.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::ser::{self, Serialize, SerializeStruct, Serializer};

/// A struct's name and the names of its fields on the wire, in order.
#[derive(Debug)]
pub struct Shape {
    /// The struct's name (serde's `serialize_struct`, `expecting` and
    /// `deserialize_struct`).
    pub name: &'static str,
    /// Its fields' names.
    pub fields: &'static [&'static str],
}

/// How a field's value is read: a tuple of one [`Reader`] per field, in
/// order, is what [`read`] reads. Implemented for tuples of up to 32
/// elements.
pub trait Values<'de>: Sized {
    /// The fields' values.
    type Output;
    /// The values read so far.
    type Slots;

    /// Nothing read yet.
    fn empty() -> Self::Slots;

    /// Reads the value of field `index` (it exists) into its slot.
    fn fill<A: MapAccess<'de>>(
        slots: &mut Self::Slots,
        index: usize,
        map: &mut A,
        shape: &'static Shape,
    ) -> Result<(), A::Error>;

    /// The values, a missing one read as serde reads a missing field.
    fn finish<E: de::Error>(slots: Self::Slots, shape: &'static Shape) -> Result<Self::Output, E>;

    /// The values in order from a sequence.
    fn from_seq<A: SeqAccess<'de>>(
        seq: &mut A,
        shape: &'static Shape,
    ) -> Result<Self::Output, A::Error>;
}

/// Reads one field's value: [`Read`] for a type that implements
/// `Deserialize`, [`Unread`] for one that does not (whose missing impl is
/// reported, at the field, by the generated code's check).
pub trait Reader<'de> {
    /// The field's type.
    type Value;

    /// The field's value from a map.
    fn value<A: MapAccess<'de>>(map: &mut A) -> Result<Self::Value, A::Error>;

    /// The next element of a sequence, if any.
    fn element<A: SeqAccess<'de>>(seq: &mut A) -> Result<Option<Self::Value>, A::Error>;

    /// What a document that lacks the field gives it.
    fn missing<E: de::Error>(name: &'static str) -> Result<Self::Value, E>;
}

/// The reader of a field of type `T` that implements `Deserialize`.
#[derive(Debug)]
pub struct Read<T>(PhantomData<fn() -> T>);

/// The reader of a field of type `T` that does not implement
/// `Deserialize`: never runs, for the crate does not build.
#[derive(Debug)]
pub struct Unread<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>> Reader<'de> for Read<T> {
    type Value = T;

    #[inline]
    fn value<A: MapAccess<'de>>(map: &mut A) -> Result<T, A::Error> {
        map.next_value()
    }

    #[inline]
    fn element<A: SeqAccess<'de>>(seq: &mut A) -> Result<Option<T>, A::Error> {
        seq.next_element()
    }

    #[inline]
    fn missing<E: de::Error>(name: &'static str) -> Result<T, E> {
        T::deserialize(Missing(name, PhantomData))
    }
}

impl<'de, T> Reader<'de> for Unread<T> {
    type Value = T;

    fn value<A: MapAccess<'de>>(_map: &mut A) -> Result<T, A::Error> {
        Err(de::Error::custom("a field that cannot be read"))
    }

    fn element<A: SeqAccess<'de>>(_seq: &mut A) -> Result<Option<T>, A::Error> {
        Err(de::Error::custom("a field that cannot be read"))
    }

    fn missing<E: de::Error>(_name: &'static str) -> Result<T, E> {
        Err(de::Error::custom("a field that cannot be read"))
    }
}

/// Picks the reader of a field of type `T`: the inherent `reader` where
/// `T: Deserialize<'de>` holds, [`Unreadable::reader`] otherwise, without
/// an error of its own.
#[derive(Debug)]
pub struct Pick<'de, T>(PhantomData<fn(&'de ()) -> T>);

impl<T> Pick<'_, T> {
    /// The pick.
    pub const NEW: Self = Pick(PhantomData);
}

impl<'de, T: Deserialize<'de>> Pick<'de, T> {
    /// The reader of a type that implements `Deserialize`.
    #[inline(always)]
    pub fn reader(self) -> Read<T> {
        Read(PhantomData)
    }
}

/// The reader of a type that does not implement `Deserialize`.
pub trait Unreadable<T> {
    /// The reader that never reads.
    #[inline(always)]
    fn reader(self) -> Unread<T>
    where
        Self: Sized,
    {
        Unread(PhantomData)
    }
}

impl<T> Unreadable<T> for Pick<'_, T> {}

/// Reads a struct of `shape` whose fields `readers` read.
#[inline]
pub fn read<'de, D: Deserializer<'de>, V: Values<'de>>(
    deserializer: D,
    shape: &'static Shape,
    _readers: V,
) -> Result<V::Output, D::Error> {
    deserializer.deserialize_struct(
        shape.name,
        shape.fields,
        StructVisitor {
            shape,
            values: PhantomData::<fn() -> V>,
        },
    )
}

struct StructVisitor<V> {
    shape: &'static Shape,
    values: PhantomData<fn() -> V>,
}

impl<'de, V: Values<'de>> Visitor<'de> for StructVisitor<V> {
    type Value = V::Output;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "struct {}", self.shape.name)
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V::Output, A::Error> {
        V::from_seq(&mut seq, self.shape)
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Output, A::Error> {
        let mut slots = V::empty();
        while let Some(key) = map.next_key_seed(Key(self.shape.fields))? {
            match key {
                Some(index) => V::fill(&mut slots, index, &mut map, self.shape)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        V::finish(slots, self.shape)
    }
}

/// A field's name, read as the index of the field (`None` for a name the
/// struct does not have).
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<Self::Value, E> {
        Ok(usize::try_from(index).ok().filter(|&i| i < self.0.len()))
    }

    #[inline]
    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        self.visit_bytes(name.as_bytes())
    }

    #[inline]
    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|field| field.as_bytes() == name))
    }
}

/// Reads one field's value into its slot, or reports it given twice.
#[inline]
fn fill_one<'de, R: Reader<'de>, A: MapAccess<'de>>(
    slot: &mut Option<R::Value>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(R::value(map)?);
    Ok(())
}

/// A field's value, or what serde makes of a missing one: `None` for an
/// `Option`, the error `missing field` for anything else.
#[inline]
fn take<'de, R: Reader<'de>, E: de::Error>(
    slot: Option<R::Value>,
    name: &'static str,
) -> Result<R::Value, E> {
    match slot {
        Some(value) => Ok(value),
        None => R::missing(name),
    }
}

/// The next element of a sequence, or the error of a sequence too short.
#[inline]
fn element<'de, R: Reader<'de>, A: SeqAccess<'de>>(
    seq: &mut A,
    index: usize,
    shape: &'static Shape,
) -> Result<R::Value, A::Error> {
    match R::element(seq)? {
        Some(value) => Ok(value),
        None => Err(de::Error::invalid_length(index, &Elements(shape))),
    }
}

/// What a sequence too short was expected to hold.
struct Elements(&'static Shape);

impl de::Expected for Elements {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let count = self.0.fields.len();
        let noun = if count == 1 { "element" } else { "elements" };
        write!(f, "struct {} with {count} {noun}", self.0.name)
    }
}

/// A field the document lacks: `None` to an `Option`, an error to anything
/// else.
struct Missing<E>(&'static str, PhantomData<E>);

impl<'de, E: de::Error> Deserializer<'de> for Missing<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, E> {
        Err(de::Error::missing_field(self.0))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

macro_rules! values {
    ($($R:ident $i:tt)+) => {
        impl<'de, $($R: Reader<'de>),+> Values<'de> for ($($R,)+) {
            type Output = ($($R::Value,)+);
            type Slots = ($(Option<$R::Value>,)+);

            #[inline]
            fn empty() -> Self::Slots {
                ($(None::<$R::Value>,)+)
            }

            #[inline]
            fn fill<A: MapAccess<'de>>(
                slots: &mut Self::Slots,
                index: usize,
                map: &mut A,
                shape: &'static Shape,
            ) -> Result<(), A::Error> {
                match index {
                    $($i => fill_one::<$R, A>(&mut slots.$i, map, shape.fields[$i]),)+
                    _ => map.next_value::<IgnoredAny>().map(drop),
                }
            }

            #[inline]
            fn finish<E: de::Error>(
                slots: Self::Slots,
                shape: &'static Shape,
            ) -> Result<Self::Output, E> {
                Ok(($(take::<$R, E>(slots.$i, shape.fields[$i])?,)+))
            }

            #[inline]
            fn from_seq<A: SeqAccess<'de>>(
                seq: &mut A,
                shape: &'static Shape,
            ) -> Result<Self::Output, A::Error> {
                Ok(($(element::<$R, A>(seq, $i, shape)?,)+))
            }
        }
    };
}

/// Calls macro `$each` with each prefix of the list of type names and
/// tuple indices: the impls for tuples of 1 to 32 elements.
macro_rules! each_prefix {
    ($each:ident [$($done:tt)*]) => {};
    ($each:ident [$($done:tt)*] $T:ident $i:tt $($rest:tt)*) => {
        $each!($($done)* $T $i);
        each_prefix!($each [$($done)* $T $i] $($rest)*);
    };
}

/// Calls macro `$each` for tuples of 1 to 32 elements.
macro_rules! each_tuple {
    ($each:ident) => {
        each_prefix!($each []
            T0 0 T1 1 T2 2 T3 3 T4 4 T5 5 T6 6 T7 7 T8 8 T9 9 T10 10 T11 11 T12 12 T13 13 T14 14
            T15 15 T16 16 T17 17 T18 18 T19 19 T20 20 T21 21 T22 22 T23 23 T24 24 T25 25 T26 26
            T27 27 T28 28 T29 29 T30 30 T31 31
        );
    };
}

each_tuple!(values);

/// How a struct's fields are written: a tuple of one [`Writer`] per field,
/// in order, is what [`write`] writes. Implemented for tuples of up to 32
/// elements.
pub trait Writes {
    /// Writes the fields.
    fn write_fields<S: SerializeStruct>(
        self,
        state: &mut S,
        shape: &'static Shape,
    ) -> Result<(), S::Error>;
}

/// Writes one field's value: [`Written`] for a type that implements
/// `Serialize`, [`Unwritten`] for one that does not (whose missing impl is
/// reported, at the field, by the generated code's check).
pub trait Writer {
    /// Writes the field under `name`.
    fn write_field<S: SerializeStruct>(
        self,
        state: &mut S,
        name: &'static str,
    ) -> Result<(), S::Error>;
}

/// The writer of a field whose type implements `Serialize`.
#[derive(Debug)]
pub struct Written<'a, T>(&'a T);

/// The writer of a field whose type does not implement `Serialize`: never
/// runs, for the crate does not build.
#[derive(Debug)]
pub struct Unwritten<'a, T>(PhantomData<&'a T>);

impl<T: Serialize> Writer for Written<'_, T> {
    #[inline]
    fn write_field<S: SerializeStruct>(
        self,
        state: &mut S,
        name: &'static str,
    ) -> Result<(), S::Error> {
        state.serialize_field(name, self.0)
    }
}

impl<T> Writer for Unwritten<'_, T> {
    fn write_field<S: SerializeStruct>(
        self,
        _state: &mut S,
        _name: &'static str,
    ) -> Result<(), S::Error> {
        Err(ser::Error::custom("a field that cannot be written"))
    }
}

/// Picks the writer of a field: the inherent `writer` where
/// `T: Serialize` holds, [`Unwritable::writer`] otherwise, without an
/// error of its own.
#[derive(Debug)]
pub struct Out<'a, T>(pub &'a T);

impl<'a, T: Serialize> Out<'a, T> {
    /// The writer of a type that implements `Serialize`.
    #[inline(always)]
    pub fn writer(self) -> Written<'a, T> {
        Written(self.0)
    }
}

/// The writer of a type that does not implement `Serialize`.
pub trait Unwritable<'a, T> {
    /// The writer that never writes.
    #[inline(always)]
    fn writer(self) -> Unwritten<'a, T>
    where
        Self: Sized,
    {
        Unwritten(PhantomData)
    }
}

impl<'a, T> Unwritable<'a, T> for Out<'a, T> {}

/// Writes a struct of `shape` whose fields `writers` write.
#[inline]
pub fn write<S: Serializer, W: Writes>(
    serializer: S,
    shape: &'static Shape,
    writers: W,
) -> Result<S::Ok, S::Error> {
    let mut state = serializer.serialize_struct(shape.name, shape.fields.len())?;
    writers.write_fields(&mut state, shape)?;
    state.end()
}

macro_rules! writes {
    ($($W:ident $i:tt)+) => {
        impl<$($W: Writer),+> Writes for ($($W,)+) {
            #[inline]
            fn write_fields<S: SerializeStruct>(
                self,
                state: &mut S,
                shape: &'static Shape,
            ) -> Result<(), S::Error> {
                $(self.$i.write_field(state, shape.fields[$i])?;)+
                Ok(())
            }
        }
    };
}

each_tuple!(writes);

//! Open enums: a known vocabulary plus `Other(String)` for values the spec does not list yet.

/// Defines a string enum that keeps unknown values.
///
/// Each known variant names its wire text. Unknown text deserialises to `Other(text)` and serialises
/// back unchanged, so a service that adds a value never fails a page and never loses data. Text is
/// matched exactly (case-sensitive), as the services send it.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value the spec does not list, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire text of every known value, in spec order.
            pub const KNOWN: &'static [&'static str] = &[$($text),+];

            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(text) => text,
                }
            }

            /// Whether the value is one the spec lists.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<String> for $name {
            fn from(text: String) -> Self {
                match Self::from(text.as_str()) {
                    Self::Other(_) => Self::Other(text),
                    known => known,
                }
            }
        }

        impl ::std::convert::From<&String> for $name {
            fn from(text: &String) -> Self {
                Self::from(text.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(text))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    $( Self::$variant => f.write_str(stringify!($variant)), )+
                    Self::Other(text) => f.debug_tuple("Other").field(text).finish(),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // A visitor of its own rather than `String` or `Cow<str>` (which serde always
                // makes owned): a known value is matched on the parser's borrowed text and
                // allocates nothing; only unknown text is copied, into `Other`.
                struct Text;
                impl ::serde::de::Visitor<'_> for Text {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, text: &str) -> Result<$name, E> {
                        Ok($name::from(text))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, text: String) -> Result<$name, E> {
                        Ok($name::from(text))
                    }
                }
                deserializer.deserialize_str(Text)
            }
        }

        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).into()
            }

            fn json_schema(_: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                // The reader takes any string; the contract's `enum` is the strict side.
                ::schemars::schema::SchemaObject {
                    instance_type: Some(::schemars::schema::InstanceType::String.into()),
                    metadata: Some(Box::new(::schemars::schema::Metadata {
                        description: Some(format!(
                            "One of {:?}, or any other string (kept as `Other`).",
                            Self::KNOWN
                        )),
                        ..Default::default()
                    })),
                    ..Default::default()
                }
                .into()
            }
        }
    };
}

pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    // The macro writes a whole API; these tests need only its reading.
    #![allow(dead_code)]

    open_enum! {
        /// A vocabulary for the tests.
        enum Colour {
            /// Known.
            Red = "red",
            /// Known, with a character JSON may escape.
            Slash = "a/b",
        }
    }

    #[test]
    fn reads_known_and_unknown_text_from_every_kind_of_input() {
        // Borrowed from the input, unescaped into a scratch buffer, owned (from a `Value`).
        for (json, expected) in [
            (r#""red""#, Colour::Red),
            (r#""r\u0065d""#, Colour::Red),
            (r#""a\/b""#, Colour::Slash),
            (r#""blue""#, Colour::Other("blue".into())),
            (r#""bl\"ue""#, Colour::Other("bl\"ue".into())),
            (r#""""#, Colour::Other(String::new())),
        ] {
            let from_text: Colour = serde_json::from_str(json).expect(json);
            assert_eq!(from_text, expected, "{json}");
            let value: serde_json::Value = serde_json::from_str(json).expect(json);
            assert_eq!(
                serde_json::from_value::<Colour>(value).expect(json),
                expected
            );
        }
    }

    #[test]
    fn anything_but_a_string_is_an_error_that_says_so() {
        for json in ["1", "null", "true", "[]", "{}"] {
            let error = serde_json::from_str::<Colour>(json).expect_err(json);
            assert!(
                error.to_string().contains("expected a string"),
                "{json}: {error}"
            );
        }
    }
}

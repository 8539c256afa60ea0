//! Reading a CSV file into checked rows: the column mapping, each cell read by its target,
//! each row checked by the same `check` as a hand-written contact.

use super::*;

/// A row turned into a contact write.
pub(super) struct Prepared {
    pub(super) fields: ContactFields,
    /// The row's values as checked and normalised (`check` ran on a fresh contact).
    pub(super) checked: c::ActiveModel,
    pub(super) values: Vec<Checked>,
}

impl Prepared {
    /// The normalised email address the row gives, if any.
    pub(super) fn email(&self) -> Option<String> {
        match (&self.fields.email, &self.checked.email) {
            (Some(_), Set(e)) => e.clone(),
            _ => None,
        }
    }

    /// The E.164 phone number the row gives, if any.
    pub(super) fn phone(&self) -> Option<String> {
        match (&self.fields.phone, &self.checked.phone) {
            (Some(_), Set(p)) => p.clone(),
            _ => None,
        }
    }

    /// Copies onto `m` the columns this row gives (what `check` would set, without checking
    /// again).
    pub(super) fn apply(&self, m: &mut c::ActiveModel) {
        let (f, p) = (&self.fields, &self.checked);
        macro_rules! copy {
            ($($field:ident => $($col:ident),+);* $(;)?) => {$(
                if f.$field.is_some() {
                    $(m.$col = p.$col.clone();)+
                }
            )*};
        }
        copy!(
            first_name => first_name;
            last_name => last_name;
            email => email;
            phone => phone;
            company => company;
            source => source;
            status => status;
            dnd_email => dnd_email;
            dnd_sms => dnd_sms;
            dnd_calls => dnd_calls;
            address_line1 => address_line1;
            address_line2 => address_line2;
            city => city;
            region => region;
            postal_code => postal_code;
            country => country;
        );
        // Bulk writes skip `before_save`.
        m.fill_keys();
    }
}

/// A cell as a stored name of `E` (`manual`, `new`, …), whatever its case.
pub(super) fn stored<E: ActiveEnum<Value = String>>(cell: &str) -> Option<E> {
    E::try_from_value(&cell.to_lowercase()).ok()
}

pub(super) fn truthy(cell: &str) -> Option<bool> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "x" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// A cell as a custom value of the field's kind (`;` separates multi-select choices).
pub(super) fn cell_value(f: &field::Model, cell: &str) -> Result<Checked, String> {
    let mut v = ValueInput {
        field_id: f.id,
        ..Default::default()
    };
    match f.kind {
        field::CustomFieldKind::Number => {
            v.number = Some(
                cell.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{cell}` is not a number"))?,
            );
        }
        field::CustomFieldKind::Date => v.date = Some(cell.to_owned()),
        field::CustomFieldKind::Checkbox => {
            v.checked = Some(truthy(cell).ok_or_else(|| format!("`{cell}` is not yes or no"))?);
        }
        field::CustomFieldKind::MultiSelect => {
            v.options = Some(
                cell.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
        _ => v.text = Some(cell.to_owned()),
    }
    custom_field::check_value(f, &v)
}

pub(super) fn user(field: &str, code: UserErrorCode, message: impl Into<String>) -> Error {
    Error::user(field, code, message)
}

/// Resolves the mapping against the file's headers: `(column index, target, header)`.
pub(super) fn resolve_mapping(
    headers: &csv::StringRecord,
    mapping: &[Column],
    defs: &HashMap<Uuid, field::Model>,
) -> Result<Vec<(usize, Target, String)>, Error> {
    if mapping.is_empty() {
        return Err(user(
            "input.mapping",
            UserErrorCode::Invalid,
            "map at least one column",
        ));
    }
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, m) in mapping.iter().enumerate() {
        let wanted = m.header.trim().to_lowercase();
        let Some(index) = headers
            .iter()
            .position(|h| h.trim().to_lowercase() == wanted)
        else {
            errors.push(UserError::new(
                &format!("input.mapping.{i}.column"),
                UserErrorCode::Invalid,
                format!("the file has no column `{}`", m.header),
            ));
            continue;
        };
        if let Target::Custom(id) = m.target
            && !defs.contains_key(&id)
        {
            errors.push(UserError::new(
                &format!("input.mapping.{i}.customFieldId"),
                UserErrorCode::Invalid,
                "no such custom field in this sub-account",
            ));
            continue;
        }
        if !seen.insert(m.target) {
            errors.push(UserError::new(
                &format!("input.mapping.{i}"),
                UserErrorCode::Invalid,
                "two columns are mapped to the same field",
            ));
            continue;
        }
        out.push((index, m.target, headers[index].trim().to_owned()));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::User(errors))
    }
}

/// Turns one record into a contact write, or the row's errors.
pub(super) fn prepare(
    record: &csv::StringRecord,
    columns: &[(usize, Target, String)],
    defs: &HashMap<Uuid, field::Model>,
    row: u64,
) -> Result<Prepared, Vec<RowError>> {
    let mut f = ContactFields::default();
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for (index, target, header) in columns {
        let cell = record.get(*index).unwrap_or("").trim();
        if cell.is_empty() {
            continue;
        }
        let text = Some(cell.to_owned());
        let mut flag = |slot: &mut Option<bool>| match truthy(cell) {
            Some(b) => *slot = Some(b),
            None => errors.push(RowError {
                row,
                column: Some(header.clone()),
                message: format!("`{cell}` is not yes or no"),
            }),
        };
        match target {
            Target::FirstName => f.first_name = text,
            Target::LastName => f.last_name = text,
            Target::Email => f.email = text,
            Target::Phone => f.phone = text,
            Target::Company => f.company = text,
            Target::Source => match stored(cell) {
                Some(v) => f.source = Some(v),
                None => errors.push(RowError {
                    row,
                    column: Some(header.clone()),
                    message: "unknown source".into(),
                }),
            },
            Target::Status => match stored(cell) {
                Some(v) => f.status = Some(v),
                None => errors.push(RowError {
                    row,
                    column: Some(header.clone()),
                    message: "unknown status".into(),
                }),
            },
            Target::AddressLine1 => f.address_line1 = text,
            Target::AddressLine2 => f.address_line2 = text,
            Target::City => f.city = text,
            Target::Region => f.region = text,
            Target::PostalCode => f.postal_code = text,
            Target::Country => f.country = text,
            Target::DoNotEmail => flag(&mut f.dnd_email),
            Target::DoNotText => flag(&mut f.dnd_sms),
            Target::DoNotCall => flag(&mut f.dnd_calls),
            Target::Custom(id) => match defs.get(id).map(|d| cell_value(d, cell)) {
                Some(Ok(v)) => values.push(v),
                Some(Err(message)) => errors.push(RowError {
                    row,
                    column: Some(header.clone()),
                    message,
                }),
                None => {}
            },
        }
    }
    // The same checks as a contact written by hand.
    let mut probe = new_model(Uuid::nil(), Uuid::nil(), Utc::now());
    let mut user_errors = Vec::new();
    check(&mut user_errors, &mut probe, &f);
    for e in user_errors {
        let input = e.field.last().cloned().unwrap_or_default();
        let column = columns
            .iter()
            .find(|(_, t, _)| t.input_field() == input)
            .map(|(_, _, h)| h.clone());
        errors.push(RowError {
            row,
            column,
            message: e.message,
        });
    }
    if errors.is_empty() && !identifiable(&probe) {
        errors.push(RowError {
            row,
            column: None,
            message: "the row has no name, email address or phone number".into(),
        });
    }
    if errors.is_empty() {
        Ok(Prepared {
            fields: f,
            checked: probe,
            values,
        })
    } else {
        // In the file's column order.
        errors.sort_by_key(|e| {
            columns
                .iter()
                .position(|(_, _, h)| Some(h) == e.column.as_ref())
                .unwrap_or(usize::MAX)
        });
        Err(errors)
    }
}

-- One row per usable contact person.
{{ valid_rows('stg_crm__contacts', 'contacts') }}

-- One row per customer and day of usable product activity.
{{ valid_rows('stg_web__usage', 'usage') }}

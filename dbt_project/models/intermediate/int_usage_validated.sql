-- One row per customer and day of usable product activity.
{{ valid_rows('stg_web__usage', ['customer_id', 'activity_date'], ['activity_date'], table='usage') }}

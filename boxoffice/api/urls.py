from django.urls import path

from . import views

urlpatterns = [
    path("box-office/sales/", views.CounterSaleView.as_view(), name="counter-sale"),
]
